# Slipway: one JSON event per line on an inherited file descriptor ($SLIPWAY_EVENTS_FD), so the
# runner gets structured results while the stdout callback stays untouched for humans.
from __future__ import annotations

DOCUMENTATION = """
    name: slipway_events
    type: notification
    short_description: Write playbook events as JSON lines to the file descriptor in SLIPWAY_EVENTS_FD
    description:
      - Events playbook_start, play_start, task_start, host_ok, host_failed, host_skipped,
        host_unreachable and stats, one JSON object per line.
    requirements:
      - enabled in ANSIBLE_CALLBACKS_ENABLED, SLIPWAY_EVENTS_FD set to an open, writable descriptor
"""

import json
import os

from ansible import context
from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "notification"
    CALLBACK_NAME = "slipway_events"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._out = None
        fd = os.environ.get("SLIPWAY_EVENTS_FD")
        if fd:
            # Not inheritable: ssh children and forked workers must not hold the pipe open,
            # or the runner would wait for EOF after ansible-playbook has exited.
            os.set_inheritable(int(fd), False)
            self._out = os.fdopen(int(fd), "w", buffering=1, encoding="utf-8", closefd=False)
        self._play = None

    def _emit(self, event, **data):
        if self._out is None:
            return
        data["event"] = event
        self._out.write(json.dumps(data, default=str, sort_keys=True) + "\n")
        self._out.flush()

    def v2_playbook_on_start(self, playbook):
        self._emit(
            "playbook_start",
            playbook=playbook._file_name,
            check=bool(context.CLIARGS.get("check")),
            diff=bool(context.CLIARGS.get("diff")),
        )

    def v2_playbook_on_play_start(self, play):
        self._play = play.get_name().strip()
        self._emit("play_start", play=self._play, pattern=play.hosts)

    def _task_start(self, task, handler):
        self._emit(
            "task_start",
            play=self._play,
            task=task.get_name().strip(),
            action=task.action,
            uuid=task._uuid,
            handler=handler,
        )

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._task_start(task, False)

    def v2_playbook_on_handler_task_start(self, task):
        self._task_start(task, True)

    def _host(self, event, result, **extra):
        res = dict(result._result)
        diff = res.pop("diff", None)
        if isinstance(diff, dict):
            diff = [diff]
        self._emit(
            event,
            host=result._host.get_name(),
            task=result._task.get_name().strip(),
            action=result._task.action,
            uuid=result._task._uuid,
            changed=bool(res.get("changed", False)),
            result=res,
            diff=diff or [],
            **extra,
        )

    def v2_runner_on_ok(self, result):
        self._host("host_ok", result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._host("host_failed", result, ignore_errors=bool(ignore_errors))

    def v2_runner_on_skipped(self, result):
        self._host("host_skipped", result)

    def v2_runner_on_unreachable(self, result):
        self._host("host_unreachable", result)

    def v2_playbook_on_stats(self, stats):
        self._emit(
            "stats",
            processed=sorted(stats.processed.keys()),
            ok=dict(stats.ok),
            changed=dict(stats.changed),
            failures=dict(stats.failures),
            dark=dict(stats.dark),
            skipped=dict(stats.skipped),
            rescued=dict(stats.rescued),
            ignored=dict(stats.ignored),
        )
