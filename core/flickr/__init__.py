"""The Flickr harvest: a retrying, rate-limited REST client (flickrapi), GNSS from Flickr's EXIF answers,
and the resumable block-by-block harvest that downloads and tags the photos."""
