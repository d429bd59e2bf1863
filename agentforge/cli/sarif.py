"""Scan results as SARIF 2.1.0, the format editors and CI code-scanning tools read."""

from __future__ import annotations

from typing import Any

from agentforge import __version__
from agentforge.artifacts import ScanResult

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
RULE_ID = "agentforge/stub"


def to_sarif(result: ScanResult) -> dict[str, Any]:
    """One `note` per stub module at its definition, with the reasons and confidence as properties."""
    results = [
        {
            "ruleId": RULE_ID,
            "level": "note",
            "message": {
                "text": f"{spec.name} only pretends ({', '.join(r.code for r in spec.reasons)}); "
                f"agentforge can serve it with a model. {spec.intent}".strip()
            },
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": spec.path, "uriBaseId": "SRCROOT"},
                        "region": {"startLine": spec.span.start_line, "endLine": spec.span.end_line},
                    }
                }
            ],
            "properties": {
                "moduleId": spec.id,
                "confidence": spec.confidence,
                "reasons": [r.model_dump() for r in spec.reasons],
                "outputSchema": spec.output_schema,
            },
        }
        for spec in result.modules
    ]
    notifications = [
        {
            "level": "warning",
            "message": {"text": w.message},
            "locations": [{"physicalLocation": {"artifactLocation": {"uri": w.path, "uriBaseId": "SRCROOT"}}}],
        }
        for w in result.warnings
    ]
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "agentforge",
                        "version": __version__,
                        "informationUri": "https://github.com/agentforge/agentforge",
                        "rules": [
                            {
                                "id": RULE_ID,
                                "name": "StubModule",
                                "shortDescription": {"text": "A function that returns fake or hard-coded data."},
                            }
                        ],
                    }
                },
                "originalUriBaseIds": {"SRCROOT": {"uri": result.root.rstrip("/") + "/"}},
                "results": results,
                "invocations": [{"executionSuccessful": True, "toolExecutionNotifications": notifications}],
            }
        ],
    }
