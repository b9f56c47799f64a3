"""Campaign templates: the marketer's subject and bodies rendered in a sandbox with a plain-dict context.

Only ``buyer`` (first_name, name, company), ``tier`` (name), ``promo_code`` and ``unsubscribe_url`` exist in a
template; the Jinja globals are emptied, attribute access goes through ``ImmutableSandboxedEnvironment`` (no
``__class__``, no mutating methods), undefined names fail, and ``*``/``**`` on large numbers are refused.
Work and size are bounded too: no number above ``MAX_REPEAT``, no padding filters or string formatting (which
take a width), loops nested at most ``MAX_LOOP_DEPTH`` deep, templates at most ``MAX_SOURCE`` characters and
rendered messages at most ``MAX_OUTPUT``. A template that breaks a rule is refused at save time with a Russian
message.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from flask_babel import gettext as _
from jinja2 import StrictUndefined, Template, TemplateError, TemplateSyntaxError, nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

ALLOWED_NAMES = frozenset({"buyer", "tier", "promo_code", "unsubscribe_url"})
MAX_REPEAT = 1000
MAX_LOOP_DEPTH = 2
#: How deeply the parsed template may nest (blocks in blocks, brackets, chained filters and operators). Jinja
#: compiles a template to Python, which allows 100 levels of indentation and 200 of brackets, and walks the tree
#: recursively: 500 nested «{% if %}» were an IndentationError, 2000 «+1» a RecursionError.
MAX_NESTING = 40
MAX_SOURCE = 100_000
#: A marketing e-mail is tens of kilobytes; Gmail clips anything over 102 KB.
MAX_OUTPUT = 300_000
#: Filters whose argument is a width or a format: ``'x'|center(100000000)`` renders 100 MB.
REMOVED_FILTERS = ("center", "indent", "wordwrap", "format", "filesizeformat", "pprint", "xmlattr")
#: Methods taking a width or a format string.
REFUSED_ATTRIBUTES = frozenset({"format", "format_map", "center", "ljust", "rjust", "zfill", "expandtabs"})


class TemplateRefused(ValueError):
    """The marketer's template cannot be used; ``str(error)`` is the Russian message to show."""


class _CampaignSandbox(ImmutableSandboxedEnvironment):
    intercepted_binops = frozenset({"*", "**", "%"})

    def call_binop(self, context: Any, operator_name: str, left: Any, right: Any) -> Any:
        if operator_name == "**":
            raise SecurityError("power operator is not allowed")
        if operator_name == "%":
            if isinstance(left, str):
                raise SecurityError("string formatting is not allowed")
            return operator.mod(left, right)
        if any(isinstance(value, int) and abs(value) > MAX_REPEAT for value in (left, right)):
            raise SecurityError("multiplication by a large number is not allowed")
        for sequence, times in ((left, right), (right, left)):
            if (
                isinstance(sequence, str | list | tuple)
                and isinstance(times, int)
                and len(sequence) * times > MAX_OUTPUT
            ):
                raise SecurityError("the repeated text would be too long")
        return operator.mul(left, right)


def _environment(html: bool) -> _CampaignSandbox:
    env = _CampaignSandbox(autoescape=html, undefined=StrictUndefined)
    env.globals.clear()  # no range, dict, lipsum, cycler …: only the context below
    for name in REMOVED_FILTERS:
        env.filters.pop(name, None)
    return env


_HTML_ENV = _environment(html=True)
_TEXT_ENV = _environment(html=False)


@dataclass(frozen=True)
class MessageContext:
    first_name: str
    name: str
    company: str
    tier_name: str
    promo_code: str
    unsubscribe_url: str

    def as_template_context(self) -> dict[str, Any]:
        """Plain dicts and strings only: nothing in them leads back to the database or the app."""
        return {
            "buyer": {"first_name": self.first_name, "name": self.name, "company": self.company},
            "tier": {"name": self.tier_name},
            "promo_code": self.promo_code,
            "unsubscribe_url": self.unsubscribe_url,
        }


SAMPLE_CONTEXT = MessageContext(
    first_name="Иван",
    name="Иван Петров",
    company="ООО «Ромашка»",
    tier_name="Золото",
    promo_code="SAMPLE10",
    unsubscribe_url="https://example.invalid/c/u/sample",
)


def first_name(full_name: str) -> str:
    parts = (full_name or "").split()
    return parts[0] if parts else ""


def _loop_depth(node: nodes.Node) -> int:
    """How deeply ``for`` loops nest under ``node`` (iteratively: a deep template must not exhaust the stack)."""
    deepest, stack = 0, [(node, 0)]
    while stack:
        current, depth = stack.pop()
        if isinstance(current, nodes.For):
            depth += 1
            deepest = max(deepest, depth)
        stack.extend((child, depth) for child in current.iter_child_nodes())
    return deepest


def _nesting(node: nodes.Node, limit: int) -> bool:
    """Whether the tree under ``node`` is deeper than ``limit`` (iteratively: a deep tree must not exhaust it)."""
    stack = [(node, 1)]
    while stack:
        current, depth = stack.pop()
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in current.iter_child_nodes())
    return False


def _check_work(tree: nodes.Template, label: str) -> None:
    """Refuse what could make one message huge or slow: big numbers, width-taking methods, deep loops."""
    for const in tree.find_all(nodes.Const):
        if isinstance(const.value, int) and not isinstance(const.value, bool) and abs(const.value) > MAX_REPEAT:
            raise TemplateRefused(_("%(part)s: numbers above %(limit)s are not allowed.", part=label, limit=MAX_REPEAT))
    for getattr_node in tree.find_all(nodes.Getattr):
        if getattr_node.attr in REFUSED_ATTRIBUTES:
            raise TemplateRefused(
                _("%(part)s: «%(name)s» is not available in a campaign template.", part=label, name=getattr_node.attr)
            )
    if _loop_depth(tree) > MAX_LOOP_DEPTH:
        raise TemplateRefused(
            _("%(part)s: loops may be nested at most %(depth)s deep.", part=label, depth=MAX_LOOP_DEPTH)
        )


def _check_names(env: _CampaignSandbox, source: str, label: str) -> None:
    if len(source) > MAX_SOURCE:
        raise TemplateRefused(_("%(part)s: the template is too long.", part=label))
    try:
        tree = env.parse(source)
    except TemplateSyntaxError as error:
        raise TemplateRefused(_("%(part)s: template error on line %(line)s.", part=label, line=error.lineno)) from None
    except RecursionError:  # thousands of nested blocks
        raise TemplateRefused(_("%(part)s: the template is nested too deeply.", part=label)) from None
    if _nesting(tree, MAX_NESTING):  # before anything below walks the tree recursively
        raise TemplateRefused(_("%(part)s: the template is nested too deeply.", part=label))
    _check_work(tree, label)
    assigned = {node.name for node in tree.find_all(nodes.Name) if node.ctx in ("store", "param")}
    for node in tree.find_all(nodes.Name):
        if node.ctx == "load" and node.name not in ALLOWED_NAMES and node.name not in assigned:
            raise TemplateRefused(
                _(
                    "%(part)s: «%(name)s» is not available. Use buyer.first_name, buyer.name, buyer.company, "
                    "tier.name, promo_code or unsubscribe_url.",
                    part=label,
                    name=node.name,
                )
            )


def _label(html: bool) -> str:
    """The part a refusal names (translated only when there is a refusal: ``render`` runs thrice a message)."""
    return _("HTML body") if html else _("Text")


@lru_cache(maxsize=256)
def _compiled(source: str, html: bool) -> Template:
    """Parse, check and compile once per distinct source (a campaign renders the same one per recipient)."""
    env = _HTML_ENV if html else _TEXT_ENV
    label = _label(html)
    _check_names(env, source, label)
    try:
        return env.from_string(source)
    except TemplateSyntaxError as error:  # an unknown filter is found only when compiling
        raise TemplateRefused(_("%(part)s: template error on line %(line)s.", part=label, line=error.lineno)) from None
    except (RecursionError, SyntaxError, MemoryError):  # what Python's compiler refuses (a guard behind MAX_NESTING)
        raise TemplateRefused(_("%(part)s: the template is nested too deeply.", part=label)) from None


def render(source: str, context: MessageContext, html: bool) -> str:
    """Render one template; raises TemplateRefused (never leaks a Jinja or sandbox error)."""
    template = _compiled(source, html)  # raises TemplateRefused (refusals are not cached)
    try:
        size, parts = 0, []
        for part in template.generate(context.as_template_context()):
            size += len(part)
            if size > MAX_OUTPUT:
                raise TemplateRefused(_("%(part)s: the message comes out too long.", part=_label(html)))
            parts.append(part)
        return "".join(parts)
    except SecurityError:
        raise TemplateRefused(
            _("%(part)s: this expression is not allowed in a campaign template.", part=_label(html))
        ) from None
    except TemplateError:
        raise TemplateRefused(
            _("%(part)s: a field used in the template does not exist. Check the spelling.", part=_label(html))
        ) from None
    except (TypeError, ValueError, ArithmeticError, AttributeError, LookupError):
        raise TemplateRefused(_("%(part)s: the template cannot be rendered.", part=_label(html))) from None


def validate_templates(subject: str, body_html: str, body_text: str) -> dict[str, str]:
    """Render all three with the sample context; returns {field: Russian error} (empty when all render)."""
    errors: dict[str, str] = {}
    for field, source, html in (
        ("subject", subject, False),
        ("body_html", body_html, True),
        ("body_text", body_text, False),
    ):
        try:
            render(source, SAMPLE_CONTEXT, html)
        except TemplateRefused as error:
            errors[field] = str(error)
    return errors
