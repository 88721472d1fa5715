"""Helpers the tests share and nothing else uses: photos and hostile uploads, calls made at the same
moment, the command line as a subprocess, the web pages' logins, the LLM's availability, and a scripted
OpenAI-compatible vision server. What the benchmarks also need lives in eval/ (`eval.server`,
`eval.synthetic_photos`) and the tests import it from there."""
