"""Numbers about places: per-district counts and summaries, distances on the sphere and UTM zones,
and the photo-density-against-prices validation."""
