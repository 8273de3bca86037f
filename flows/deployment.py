"""The pull step of the deployments in prefect.yaml: run each flow run from the pressroom checkout.

A worker starts every flow run in a temporary folder; the deployments' flow and their relative
paths (``data/sources.yaml``, ``out``) live in the checkout named by ``PRESSROOM_ROOT``.
"""

from __future__ import annotations

import os
from pathlib import Path

from prefect import runtime
from prefect.logging.loggers import flow_run_logger

ROOT_VARIABLE = "PRESSROOM_ROOT"
ENTRYPOINT = Path("flows/ingest.py")
HOW_TO_SET = (
    f"set {ROOT_VARIABLE} to the absolute path of the pressroom checkout (the folder with"
    f" prefect.yaml and its .venv) when deploying, `{ROOT_VARIABLE}=$PWD prefect deploy --all`"
    " from that folder, or in the worker's environment (docs/operations.md)"
)


class CheckoutNotFound(RuntimeError):
    """PRESSROOM_ROOT is unset or does not name a pressroom checkout."""


def checkout_root(directory: str) -> Path:
    """The checkout ``directory`` names; :class:`CheckoutNotFound`, saying how to fix it, if
    it is empty, relative, or holds no pressroom flow."""
    directory = directory.strip()
    if not directory:
        raise CheckoutNotFound(f"{ROOT_VARIABLE} is not set: {HOW_TO_SET}")
    root = Path(directory).expanduser()
    if not root.is_absolute():
        raise CheckoutNotFound(f"{ROOT_VARIABLE}={directory} is not an absolute path: {HOW_TO_SET}")
    if not (root / ENTRYPOINT).is_file():
        raise CheckoutNotFound(
            f"{ROOT_VARIABLE}={directory} is not a pressroom checkout (no {ENTRYPOINT} there):"
            f" {HOW_TO_SET}"
        )
    return root


def enter_checkout(directory: str) -> dict[str, str]:
    """Pull step: change into the checkout ``directory`` (``{{ $PRESSROOM_ROOT }}`` in
    prefect.yaml, resolved when deploying or else from the worker's environment). Returns
    ``{"directory": ...}`` as Prefect's ``set_working_directory`` does. A bad ``directory`` is
    logged to the flow run, where `prefect flow-run logs` and the UI show it, and raised."""
    try:
        root = checkout_root(directory)
    except CheckoutNotFound as error:
        if runtime.flow_run.id:
            flow_run_logger(flow_run_id=runtime.flow_run.id).error(str(error))
        raise
    os.chdir(root)
    return {"directory": str(root)}
