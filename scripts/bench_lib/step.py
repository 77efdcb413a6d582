"""Child process entry: `python -m bench_lib.step SPEC.json RESULT.json` runs one step."""

from __future__ import annotations

import json
import sys
from pathlib import Path


def main() -> None:
    spec = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    from infrastructure.logs import configure_logging
    configure_logging("warning")
    from bench_lib import raw, steps

    name = spec["step"]
    profiler = None
    if spec.get("profile") and not name.startswith("raw_"):
        from pyinstrument import Profiler  # pip install pyinstrument: optional, for --profile only

        profiler = Profiler(interval=0.005)
        profiler.start()
    if name == "raw_write":
        result = raw.raw_write(spec["url"], Path(spec["facts"]), spec["singles"])
    elif name == "raw_read":
        result = raw.raw_read(spec["url"])
    else:
        result = steps.STEPS[name](spec)
    if profiler is not None:
        profiler.stop()
        Path(spec["profile"]).write_text(profiler.output_text(unicode=True, color=False), encoding="utf-8")
    result["peak_rss_mb"] = peak_rss_mb()
    Path(sys.argv[2]).write_text(json.dumps(result, default=str), encoding="utf-8")


def peak_rss_mb() -> float:
    """This process's own peak RSS (VmHWM). Not ru_maxrss: on Linux a child's ru_maxrss starts
    from its parent's RSS at fork time, which would count the parent's memory in every step."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


if __name__ == "__main__":
    main()
