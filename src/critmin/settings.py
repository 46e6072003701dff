"""One registry of settings (house rule 9): name, default, type, unit and help text.

The CLI, config checks, the API and the docs read this registry instead of re-declaring options.
A setting's value comes from the explicit argument, else its environment variable (``CRITMIN_`` + the name
in upper case), else its default. This module is the only one that reads ``CRITMIN_*`` variables
(tests/architecture/test_layers.py checks it): add a setting here, read it with :func:`get`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    type: type
    unit: str
    help_en: str
    help_zh: str

    @property
    def env(self) -> str:
        return "CRITMIN_" + self.name.upper()

    def resolve(self, explicit: Any = None) -> Any:
        if explicit is not None:
            return self._convert(explicit, f"setting '{self.name}'")
        raw = os.environ.get(self.env)
        if raw not in (None, ""):
            return self._convert(raw, f"environment variable {self.env}")
        return self.default() if callable(self.default) else self.default

    def _convert(self, raw: Any, where: str) -> Any:
        """``raw`` as this setting's type; a value that is not (or not a finite, non-negative number) is a
        one-line error naming where it came from, not a traceback."""
        import math

        from critmin.errors import UsageError

        try:
            value = self.type(raw)
        except (TypeError, ValueError):
            raise UsageError(f"{where}: expected {self.type.__name__} ({self.help_en}), got {raw!r}") from None
        if isinstance(value, int | float) and (not math.isfinite(value) or value < 0):
            raise UsageError(f"{where}: expected a finite, non-negative {self.type.__name__}, got {raw!r}")
        return value


def _default_cache() -> str:
    from platformdirs import user_cache_dir

    return user_cache_dir("critmin", appauthor=False)


def _default_warehouse() -> str:
    from platformdirs import user_data_dir

    return str(Path(user_data_dir("critmin", appauthor=False)) / "critmin.duckdb")


SETTINGS: dict[str, Setting] = {
    s.name: s
    for s in [
        Setting("warehouse", _default_warehouse, str, "path",
                "DuckDB warehouse file", "DuckDB 数据仓库文件"),
        Setting("lang", "en", str, "",
                "language of messages and reports (en|zh)", "消息与报告语言（en|zh）"),
        Setting("groups", None, str, "path",
                "YAML file of user-defined country groups, added to the catalog's",
                "用户自定义国家组的 YAML 文件（补充目录中的国家组）"),
        Setting("seeds", None, str, "path",
                "folder of the seed texts for `discourse demo` (else ../shared/seeds beside the checkout)",
                "`discourse demo` 所用种子文本的文件夹（否则为源码旁的 ../shared/seeds）"),
        Setting("memory_limit", "4GB", str, "bytes",
                "DuckDB memory limit of every warehouse connection (larger work spills to disk)",
                "每个数据仓库连接的 DuckDB 内存上限（超出部分写入临时磁盘）"),
        Setting("threads", 2, int, "threads",
                "DuckDB worker threads", "DuckDB 工作线程数"),
        Setting("lock_wait", 60.0, float, "seconds",
                "how long a command waits for another writer of the warehouse before giving up",
                "等待其他命令写完数据仓库的最长时间"),
        Setting("engine", "duckdb", str, "",
                "where indicators run: duckdb (the warehouse file) or spark (the Parquet lake)",
                "指标计算引擎：duckdb（数据仓库文件）或 spark（Parquet 数据湖）"),
        Setting("lake", None, str, "path",
                "Parquet lake folder for --engine spark (else the warehouse path with .lake instead of .duckdb)",
                "Spark 引擎读取的 Parquet 数据湖文件夹（否则为数据仓库路径改后缀 .lake）"),
        Setting("spark_master", "local[2]", str, "URL",
                "Spark master: local[N] on this machine, spark://host:7077, yarn or k8s://… for a cluster",
                "Spark 主节点：本机 local[N]，集群用 spark://host:7077、yarn 或 k8s://…"),
        Setting("spark_driver_memory", "2g", str, "bytes",
                "memory of the Spark driver (the JVM started for local[N])", "Spark 驱动进程内存"),
        Setting("spark_shuffle_partitions", 4, int, "partitions",
                "Spark shuffle partitions (raise to a few per core on a cluster)",
                "Spark shuffle 分区数（集群上每核数个）"),
        Setting("kb", None, str, "path",
                "folder of user knowledge-base YAML files, merged with the bundled entries (a record may "
                "'replaces:' a bundled id)",
                "用户知识库 YAML 文件夹，与内置条目合并（记录可用 'replaces:' 替换内置条目）"),
        Setting("kb_stale_days", 180, int, "days",
                "a measure not reviewed for this many days is reported as stale by `kb check`",
                "措施超过此天数未复核时，`kb check` 报告为过期"),
        Setting("uv_screen_z", 5.0, float, "robust z (MADs)",
                "ASSUMPTION (no published threshold): a trade row whose log unit value lies more than this many "
                "scaled median absolute deviations from its HS6-year median is flagged (kept) at build and ingest",
                "假设（无公开阈值）：贸易记录的对数单位价值偏离其 HS6-年份中位数超过该倍数的标准化中位绝对偏差时"
                "被标记（保留）"),
        Setting("serve_dir", None, str, "path",
                "folder of `critmin serve`'s own state (tokens, audit log, sharing agreement, ledgers, snapshots); "
                "default: <warehouse>.serve beside the warehouse",
                "`critmin serve` 自身状态的文件夹（令牌、审计日志、共享协议、账本、快照）；默认在数据仓库旁的 <warehouse>.serve"),
        Setting("serve_anonymous", 0, int, "0|1",
                "1: anonymous visitors may read the public indicators (read-only)",
                "1：匿名访问者可只读公开指标"),
        Setting("cache", _default_cache, str, "path",
                "folder for parsed copies of critmin's bundled YAML files (catalog, knowledge base, messages), "
                "so a command starts fast; 'off' to read the YAML every time",
                "存放 critmin 内置 YAML 文件（目录、知识库、消息）解析结果的文件夹，加快命令启动；设为 off 则每次读取 YAML"),
    ]
}


def get(name: str, explicit: Any = None) -> Any:
    return SETTINGS[name].resolve(explicit)


def warehouse_path(explicit: str | os.PathLike | None = None) -> Path:
    """Where the warehouse lives: ``--warehouse``, else ``CRITMIN_WAREHOUSE``, else the per-user default."""
    return Path(get("warehouse", None if explicit is None else str(explicit))).expanduser()
