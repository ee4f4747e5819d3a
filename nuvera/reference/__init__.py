"""The integrator-facing reference: API reference pages, the error catalogue and the signing guide, all served by
the application itself so that they work without internet access."""
