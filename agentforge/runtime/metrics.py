"""Per-module, per-route Prometheus metrics, on a registry owned by one runtime (no global state).

A route is the (model, adapter) pair that answered: with several back ends (a fallback on a hosted API, say)
each one's calls, errors, tokens and latency are counted apart."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

from agentforge.artifacts import Trace


class RuntimeMetrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        labels = ["workspace", "module", "model", "rung", "adapter"]
        """A route is the model and adapter that answered; `rung` says which step of the route it was."""
        self.calls = Counter("agentforge_calls", "Module invocations.", labels, registry=self.registry)
        self.errors = Counter("agentforge_errors", "Invocations that failed.", labels, registry=self.registry)
        self.fallbacks = Counter(
            "agentforge_static_fallbacks",
            "Calls answered by the static fallback.",
            labels,
            registry=self.registry,
        )
        self.retries = Counter("agentforge_validation_retries", "Validation retries.", labels, registry=self.registry)
        self.tokens = Counter("agentforge_tokens", "Tokens used.", [*labels, "direction"], registry=self.registry)
        self.latency = Histogram(
            "agentforge_latency_seconds",
            "Invocation latency.",
            labels,
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60),
            registry=self.registry,
        )
        self.corrections = Counter(
            "agentforge_corrections", "Corrections stored.", ["workspace", "module"], registry=self.registry
        )
        self.trace_write_errors = Counter(
            "agentforge_trace_write_errors", "Traces the store refused (logged with their ids).", registry=self.registry
        )

    def observe(self, trace: Trace) -> None:
        route = trace.route
        values = (trace.workspace_id, trace.module_id, route.model, route.rung.value, route.adapter or "")
        self.calls.labels(*values).inc()
        self.latency.labels(*values).observe(trace.latency_ms / 1000)
        self.tokens.labels(*values, "prompt").inc(trace.prompt_tokens)
        self.tokens.labels(*values, "completion").inc(trace.completion_tokens)
        if trace.retries:
            self.retries.labels(*values).inc(trace.retries)
        if trace.fallback_used:
            self.fallbacks.labels(*values).inc()
        if trace.error:
            self.errors.labels(*values).inc()
