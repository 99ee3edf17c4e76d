"""Training in a process of its own (see core/child.py for why).

Request: the keyword arguments of core.training.train plus folder, groups,
report. Answers: {"stage", "fraction"} lines, then {"result": ...} or
{"error": message} for input the user must fix."""

import json
import sys
from dataclasses import asdict


def main():
    request = json.loads(sys.stdin.readline())
    from .training import TrainingError, parse_class_groups, scan_dataset, train, write_report

    def say(**message):
        print(json.dumps(message), flush=True)

    try:
        dataset = scan_dataset(request.pop("folder"), parse_class_groups(request.pop("groups", "")))
        report = request.pop("report", "")
        result = train(dataset, progress=lambda stage, fraction: say(stage=stage, fraction=fraction), **request)
        if report:
            write_report(report, result, {k: v for k, v in request.items() if k != "cache_dir"})
    except TrainingError as exc:
        say(error=str(exc))
        return
    payload = asdict(result)
    payload.pop("reliability")  # arrays, drawn in the report already
    say(result=payload)


if __name__ == "__main__":
    main()
