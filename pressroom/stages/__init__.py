"""The stages of the pipeline: ``base`` defines the interface, each other module one stage
(``pressroom.pipeline.build_stages`` lists them in order; docs/architecture.md)."""
