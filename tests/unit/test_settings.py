from lsp.settings import Settings, parse_settings, to_json


def test_defaults_when_nothing_sent():
    s, warnings = parse_settings(None)
    assert s == Settings() and warnings == []


def test_camel_case_and_nested_values():
    s, warnings = parse_settings({"completion": {"maxTokens": 32, "completionFallback": True},
                                  "model": {"nThreads": 4, "name": "/m.gguf"}, "backend": "openai"})
    assert warnings == []
    assert s.completion.max_tokens == 32 and s.completion.completion_fallback
    assert s.model.n_threads == 4 and s.model.name == "/m.gguf" and s.backend == "openai"


def test_vscode_section_is_unwrapped():
    s, _ = parse_settings({"tabstop": {"logLevel": "debug"}})
    assert s.log_level == "debug"


def test_bad_values_become_defaults_with_warnings():
    s, warnings = parse_settings({
        "backend": "gpt-9", "completion": {"maxTokens": "many", "deadlineMs": -5, "enabled": "yes"},
        "model": 3, "nonsense": 1,
    })
    assert s == Settings()
    joined = "\n".join(warnings)
    for needle in ("backend", "completion.max_tokens", "completion.deadline_ms", "completion.enabled", "model", "nonsense"):
        assert needle in joined
    assert len(warnings) == 6


def test_change_keeps_previous_values_for_invalid_entries():
    base, _ = parse_settings({"completion": {"maxTokens": 40}})
    s, warnings = parse_settings({"completion": {"maxTokens": None, "maxLines": 3}}, base=base)
    assert s.completion.max_tokens == 40 and s.completion.max_lines == 3 and len(warnings) == 1


def test_non_object_settings():
    s, warnings = parse_settings(["x"])
    assert s == Settings() and warnings


def test_negative_gpu_layers_allowed():
    s, warnings = parse_settings({"model": {"nGpuLayers": -1}})
    assert s.model.n_gpu_layers == -1 and not warnings


def test_secrets_masked_in_json():
    s, _ = parse_settings({"remote": {"apiKey": "sk-123", "headers": {"Authorization": "Bearer x", "X-Team": "a"}}})
    data = to_json(s)
    assert data["remote"]["api_key"] == "***"
    assert data["remote"]["headers"] == {"Authorization": "***", "X-Team": "a"}
