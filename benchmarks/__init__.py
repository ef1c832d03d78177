"""Performance measurements of imgur-desktop, each a ratio against a baseline measured side by
side in the same run against the local image host. Run ``python -m benchmarks [--quick]``;
see docs/performance.md."""
