"""Where work runs: time-limited sandbox processes (``sandbox``) and the progress channel from
stages to the CLI's display (``progress``). Below the stages; it imports nothing of pressroom's
but the schemas."""
