"""Running heat maps and classification on a Dask cluster (SCHEDULER). QGIS-free; nothing here
imports dask until a scheduler is asked for."""
