"""Imported by the fork server that extraction sandboxes are forked from
(``pressroom.execution.sandbox``): loads the extraction code, its libraries and the language
model once, so that every sandbox forked from it starts warm instead of loading them again
(about a second and a half each)."""

import contextlib

from pressroom.stages.extract import warm_up

with contextlib.suppress(Exception):  # each sandbox's own warm-up reports a broken set-up
    warm_up()
