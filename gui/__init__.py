"""QGIS desktop windows of the plugin (only loaded with a GUI): the package installer."""
