"""Photos on disk: GNSS and time from EXIF (exifread), writing them back (piexif), scanning folders.
Nothing here talks to the network or to QGIS."""
