"""The authors' side: the self-check of the kata contract, scaffolding new katas, benchmarks."""
