"""Trusted helpers that graders run inside a worker: probes, instruments, data makers.

Workers are forked from a process that never imported a grader, so anything a grader
wants executed there (a recording optimizer, a corrupting function, a probe that reads
gradients) must live here, importable from the installed package. Nothing in this
package is secret: students may read it.
"""
