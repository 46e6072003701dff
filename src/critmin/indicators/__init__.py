"""Indicators: dependency, concentration, CRMA check, GeoPolRisk — defined once, vectorised over the warehouse."""
