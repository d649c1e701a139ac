"""Web page benchmarks: how soon the pages people open first show their figures."""
