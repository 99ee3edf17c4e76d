"""Runs one harvest in its own process, so tests can kill it: `python harvest_child.py ENDPOINT FOLDER PARAMS_JSON`.

Prints the kept records as JSON on the last line."""

import datetime
import json
import sys

from scenic_heatmap.core.flickr.client import FlickrClient
from scenic_heatmap.core.flickr.harvest import Harvester, HarvestParams


def main(endpoint, folder, params_json):
    options = json.loads(params_json)
    key, secret = options.pop("key"), options.pop("secret")
    parallel = options.pop("parallel", 3)
    for name in ("start", "end"):
        options[name] = datetime.date.fromisoformat(options[name])
    options["bbox"] = tuple(options["bbox"])
    params = HarvestParams(**options)

    def factory(**kw):
        return FlickrClient(key, secret, endpoint=endpoint, backoff=0.01, **kw)

    records = Harvester(params, folder, factory, parallel=parallel).run()
    print(json.dumps(records))


if __name__ == "__main__":
    main(*sys.argv[1:4])
