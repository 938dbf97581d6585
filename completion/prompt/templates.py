"""Fill-in-the-middle templates of the model families we support.

Each family's control tokens are listed so the backend tokenizes them as
specials and the user's code as plain text. Qwen2.5-Coder gets its repository
format (`<|repo_name|>`, `<|file_sep|>path`) for cross-file context; other
families get context as a comment header. Only PSM order (prefix, suffix,
middle) is used for Qwen: SPM does not work with it. Codestral's native order is
suffix-first, so it is rendered that way.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping

from runtime.backend import ContextFile, Prompt

COMMENT_PREFIX = {
    "python": "#", "ruby": "#", "shellscript": "#", "perl": "#", "r": "#", "yaml": "#", "toml": "#",
    "lua": "--", "sql": "--", "haskell": "--",
}


@dataclass(frozen=True)
class FimTemplate:
    family: str
    prefix: str
    suffix: str
    middle: str
    stop: tuple[str, ...]
    order: str = "psm"  # psm | spm
    repo_name: str | None = None  # Qwen's repository-level tokens
    file_sep: str | None = None
    bos_text: str = ""

    @property
    def special_tokens(self) -> tuple[str, ...]:
        names = (self.prefix, self.suffix, self.middle, self.repo_name, self.file_sep, *self.stop)
        return tuple(dict.fromkeys(t.strip() for t in names if t and t.strip()))

    def segments(
        self,
        prefix: str,
        suffix: str,
        *,
        path: str = "",
        repo: str = "",
        context: Iterable[ContextFile] = (),
        language: str = "",
        middle_start: str = "",
    ) -> tuple[tuple[str, bool], ...]:
        """The prompt as (text, is_control_token) pieces, so that only the template's own
        control tokens are ever tokenized as specials — never look-alikes in the user's code.

        `middle_start` is text already typed that the model continues.
        """
        context = tuple(context)
        out: list[tuple[str, bool]] = []
        special = lambda tok: out.append((tok, True))  # noqa: E731
        plain = lambda text: out.append((text, False)) if text else None  # noqa: E731
        inner = ""
        if self.repo_name and self.file_sep:
            # Qwen's repository format: the current file's FIM block follows its path line.
            if context or path:
                special(self.repo_name)
                plain(f"{repo or 'workspace'}\n")
                for item in context:
                    special(self.file_sep)
                    plain(f"{item.path}\n{item.text.rstrip()}\n")
                special(self.file_sep)
                plain(f"{path or 'untitled'}\n")
        else:
            inner = _comment_header(context, path, language)
        pre_tok, suf_tok = self.prefix.strip(), self.suffix.strip()
        pre_pad, suf_pad, mid_pad = self.prefix[len(pre_tok):], self.suffix[: len(self.suffix) - len(suf_tok)], self.middle[: len(self.middle) - len(self.middle.strip())]
        if self.order == "spm":
            special(suf_tok)
            plain(suffix)
            special(pre_tok)
            plain(inner + prefix)
        else:
            special(pre_tok)
            plain(pre_pad + inner + prefix + suf_pad)
            special(suf_tok)
            plain(suffix + mid_pad)
        special(self.middle.strip())
        plain(middle_start)
        return tuple(out)

    def render(self, prefix: str, suffix: str, **kw: object) -> str:
        return "".join(text for text, _ in self.segments(prefix, suffix, **kw))  # type: ignore[arg-type]

    def prompt(self, prefix: str, suffix: str, **kw: object) -> Prompt:
        context = tuple(kw.get("context", ()) or ())  # type: ignore[arg-type]
        heal = str(kw.pop("heal", "") or "")
        segments = self.segments(prefix, suffix, **kw)  # type: ignore[arg-type]
        middle = str(kw.get("middle_start", "") or "")
        unhealed = ""
        if heal:  # the healed text goes back where it was cut from: the typed middle, else the prefix
            if middle:
                unhealed = self.render(prefix, suffix, **{**kw, "middle_start": middle + heal})
            else:
                unhealed = self.render(prefix + heal, suffix, **kw)
        return Prompt(text="".join(t for t, _ in segments), prefix=prefix, suffix=suffix, family=self.family,
                      context=context, heal=heal, special_tokens=self.special_tokens, stop=self.stop,
                      segments=segments, unhealed_text=unhealed, middle_start=middle)


def _comment_header(context: tuple[ContextFile, ...], path: str, language: str) -> str:
    mark = COMMENT_PREFIX.get(language, "//")
    lines: list[str] = []
    for item in context:
        lines.append(f"{mark} Path: {item.path}")
        lines += [f"{mark} {line}" if line else mark for line in item.text.rstrip().splitlines()]
    if path:
        lines.append(f"{mark} Path: {path}")
    return "\n".join(lines) + "\n" if lines else ""


TEMPLATES: dict[str, FimTemplate] = {
    "qwen": FimTemplate(
        "qwen", "<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>",
        stop=("<|endoftext|>", "<|file_sep|>", "<|fim_pad|>", "<|repo_name|>", "<|im_end|>", "<|fim_prefix|>"),
        repo_name="<|repo_name|>", file_sep="<|file_sep|>",
    ),
    "deepseek": FimTemplate(
        "deepseek", "<｜fim▁begin｜>", "<｜fim▁hole｜>", "<｜fim▁end｜>",
        stop=("<｜end▁of▁sentence｜>", "<｜fim▁begin｜>", "<｜EOT｜>"),
    ),
    "starcoder": FimTemplate(
        "starcoder", "<fim_prefix>", "<fim_suffix>", "<fim_middle>",
        stop=("<|endoftext|>", "<file_sep>", "<fim_prefix>"),
    ),
    "codellama": FimTemplate(
        "codellama", "<PRE> ", " <SUF>", " <MID>", stop=("<EOT>", "</s>"),
    ),
    "codestral": FimTemplate(
        "codestral", "[PREFIX]", "[SUFFIX]", "[MIDDLE]", stop=("</s>", "[PREFIX]", "[SUFFIX]"), order="spm",
    ),
}


def get_template(family: str) -> FimTemplate:
    try:
        return TEMPLATES[family]
    except KeyError:
        raise ValueError(f"unknown FIM family {family!r}; known: {', '.join(TEMPLATES)}") from None


def family_from_metadata(metadata: Mapping[str, str], fallback: str = "qwen") -> str:
    """Guess the FIM family from GGUF metadata (name, architecture, FIM token ids)."""
    name = " ".join(str(metadata.get(k, "")) for k in ("general.name", "general.basename", "general.architecture")).lower()
    for needle, family in (
        ("qwen", "qwen"), ("deepseek", "deepseek"), ("starcoder", "starcoder"), ("codestral", "codestral"),
        ("codellama", "codellama"), ("code llama", "codellama"), ("mistral", "codestral"),
    ):
        if needle in name:
            return family
    if "llama" in name and "tokenizer.ggml.fim_pre_token_id" in metadata:
        return "codellama"
    return fallback
