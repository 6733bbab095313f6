"""`ms5 sim --speed 10` (seed 1) "froze" after about 13 minutes (issue 14, problem 11): the demo
line's first changeover. Every machine stops for it and its counters stand still for 1.5-3 min,
and the simulator said nothing, so it looked frozen. The model on a manual clock, no servers."""

from __future__ import annotations

import asyncio
from pathlib import Path

from connectors.sim.line import LineModel
from connectors.sim.runner import SimLine
from core.config import Config, load_config

DEMO = Path(__file__).resolve().parents[2] / "assets" / "demo-line.toml"
T0 = 1_772_430_000.0
STEP = 0.05  # the runner's tick


def demo() -> Config:
    return load_config(DEMO)


def test_the_line_stands_only_for_its_changeover_and_runs_again_after_it() -> None:
    model = LineModel(demo(), 1, T0, speed=10)
    parts = {eq: 0 for eq in ("FILLER", "CAPPER", "LABELLER", "PACKER")}
    moved = dict.fromkeys(parts, T0)  # when each machine last made a part
    standing: list[float] = []  # the instants at which no machine had made a part for 30 s
    for k in range(1, int(20 * 60 / STEP)):
        now = T0 + k * STEP
        model.step(now)
        for eq, truth in model.truth().items():
            if truth.total != parts[eq]:
                parts[eq], moved[eq] = truth.total, now
        if all(now - t >= 30 for t in moved.values()):
            standing.append(now)
    changeovers = model.changeovers(T0 + 20 * 60)
    assert changeovers and changeovers[0][0] == "L1"
    _, at, duration = changeovers[0]
    assert 12 * 60 < at - T0 < 13 * 60  # "after about 13 minutes"
    assert standing, "the whole line never stood"
    # It stood only while it changed over (a machine that was stopped changes over after its stop)...
    assert at < standing[0] and standing[-1] < at + duration + 60
    # ...and every machine made parts again afterwards.
    assert all(t > at + duration for t in moved.values()), moved


def test_ms5_sim_says_each_changeover_of_the_line() -> None:
    said: list[str] = []
    clock = [T0]

    def now() -> float:
        clock[0] += 1.0  # a second of wall-clock time per tick
        return clock[0]

    async def run() -> None:
        config = demo().model_copy(update={"connections": []})  # the model alone, no servers
        sim = SimLine(config, 1, speed=10, clock=now, tick_s=0, on_event=said.append)
        await sim.start()
        try:
            for _ in range(30 * 60):  # half an hour of the simulator's clock
                await asyncio.sleep(0)
        finally:
            await sim.stop()

    asyncio.run(run())
    model = LineModel(demo(), 1, T0 + 1.0, speed=10)
    _, at, duration = model.changeovers(clock[0])[0]
    assert said[0] == (
        f"t+{at - T0 - 1.0:.0f}s: line L1 changes over for {duration:.0f} s "
        "(every machine stops, counters stand still)"
    )
