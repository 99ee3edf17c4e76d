"""One self-contained HTML web map of the results (Leaflet inlined, every layer embedded). QGIS-free."""
