"""An oracle for sanitised HTML that knows nothing of the sanitiser's allowlist.

`violations(html)` parses the HTML as a browser would (html5lib implements the WHATWG parsing
algorithm, foreign SVG/MathML content included) inside a `<div>`, the context a note is shown
in, and lists everything in the resulting tree that could run script or restyle the page:

- any `on*` attribute (event handlers), any `style` or `srcdoc` attribute;
- a `script`, `iframe`, `frame`, `frameset`, `object`, `embed`, `applet`, `style`, `link`,
  `meta`, `base`, `template`, `svg` or `math` element;
- a `javascript:`, `vbscript:` or `data:` address in any attribute that holds one (`href`,
  `src`, `action`, `formaction`, `xlink:href`, …), after entities are decoded by the parser
  and the whitespace and control characters a browser ignores in a scheme are dropped.

What the page is *allowed* to show is a separate question; this only answers "is it inert?",
so a sanitiser whose allowlist grows too far fails here, whatever the allowlist says.

`hostile_html()` is a Hypothesis strategy for HTML and Markdown mixing those ingredients, with
the case, entity, whitespace and nesting tricks that get past naive filters.
"""

import re

import html5lib
from hypothesis import strategies as st

FORBIDDEN_ELEMENTS = frozenset({
    "script", "iframe", "frame", "frameset", "object", "embed", "applet", "style", "link",
    "meta", "base", "template", "svg", "math",
})
FORBIDDEN_ATTRIBUTES = frozenset({"style", "srcdoc"})
URL_ATTRIBUTES = frozenset({
    "href", "src", "action", "formaction", "xlink:href", "data", "poster", "background",
    "cite", "longdesc", "ping", "codebase", "dynsrc", "lowsrc", "usemap", "manifest",
})
_XLINK = "{http://www.w3.org/1999/xlink}"
# What the URL standard's parser ignores before it reads a scheme: C0 controls and spaces at
# either end, ASCII tab and newline anywhere. (Anything else, a no-break space or a control
# inside the word, makes the address a harmless relative path, as browsers read it.)
_ENDS = "".join(chr(c) for c in range(0x21))
_TAB_OR_NEWLINE = re.compile("[\t\n\r]")
_DANGEROUS_SCHEME = re.compile(r"(?:javascript|vbscript|livescript|data):", re.IGNORECASE)


def _local(name):
    return name.rsplit("}", 1)[-1].lower()


def _attribute_name(name):
    if name.startswith(_XLINK):
        return "xlink:" + name[len(_XLINK):].lower()
    return _local(name)


def dangerous_url(value):
    """True when a browser would treat `value` (entities already decoded) as a script or
    data address."""
    address = _TAB_OR_NEWLINE.sub("", (value or "").strip(_ENDS))
    return bool(_DANGEROUS_SCHEME.match(address))


def _urls(name, value):
    if name == "srcset":
        return [candidate.strip().split(" ")[0] for candidate in value.split(",")]
    if name in URL_ATTRIBUTES:
        return [value]
    return []


def violations(html):
    """Return a readable line for each element or attribute in `html` that could run script,
    load a frame or restyle the page; [] when the HTML is inert."""
    fragment = html5lib.parseFragment(
        html, container="div", treebuilder="etree", namespaceHTMLElements=False
    )
    found = []
    for element in fragment.iter():
        if not isinstance(element.tag, str) or element.tag == "DOCUMENT_FRAGMENT":
            continue  # comments
        tag = _local(element.tag)
        if tag in FORBIDDEN_ELEMENTS:
            found.append(f"<{tag}> element")
        for raw_name, value in element.attrib.items():
            name = _attribute_name(raw_name)
            if name.startswith("on"):
                found.append(f"<{tag} {name}={value!r}> event handler")
            if name in FORBIDDEN_ATTRIBUTES:
                found.append(f"<{tag} {name}={value!r}> attribute")
            if any(dangerous_url(url) for url in _urls(name, value)):
                found.append(f"<{tag} {name}={value!r}> script or data address")
    return found


# --------------------------------------------------------------------------------------------
# Hypothesis: hostile HTML and Markdown.

# The tags a sanitiser may keep come up often, so that a widened attribute list is found fast.
_TAGS = ["a"] * 8 + ["p"] * 4 + ["img"] * 4 + ["iframe"] * 2 + [
    "script", "object", "embed", "style", "svg", "math", "div",
    "form", "button", "input", "base", "meta", "link", "noscript", "template", "textarea",
    "video", "source", "details", "table", "td", "title", "xmp", "select", "option", "frame",
    "applet", "mglyph", "mtext", "foreignObject", "use", "animate", "set", "image", "b", "em",
    "strong", "blockquote", "ol", "li", "code", "pre", "h3",
]
_HANDLERS = ["onerror", "onclick", "onload", "onmouseover", "onfocus", "ontoggle", "onbegin",
             "ONERROR", "OnClick"]
_URL_NAMES = ["href"] * 4 + ["src"] * 2 + [
    "action", "formaction", "xlink:href", "data", "poster", "srcset", "background", "HREF", "Src",
]
_OTHER_NAMES = ["style", "srcdoc", "title", "class", "id", "start", "rel", "target", "type",
                "autofocus", "open", "attributeName", "values", "to"]
_SCRIPTS = ["alert(1)", "window.__xss=1", "parent.__xss=1", "<script>alert(1)</script>",
            "text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=="]
_SCHEMES = ["javascript", "javascript", "vbscript", "data", "data", "http", "https", "mailto",
            "ftp", ""]
_CSS = ["position:fixed;top:0", "background:url(javascript:alert(1))", "color:red",
        "behavior:url(x.htc)", "expression(alert(1))"]


def _case(text, flips):
    return "".join(c.upper() if f else c for c, f in zip(text, flips, strict=False)) + text[
        len(flips):
    ]


def _entity(char, style):
    if style == 0:
        return char
    if style == 1:
        return f"&#{ord(char)};"
    if style == 2:
        return f"&#x{ord(char):x};"
    if style == 3:
        return f"&#000{ord(char)}"  # no semicolon: still decoded in an attribute value
    named = {":": "&colon;", "\t": "&Tab;", "\n": "&NewLine;", "(": "&lpar;", ")": "&rpar;"}
    return named.get(char, char)


_HIDINGS = ["none", "case", "entities", "whitespace", "all"]


@st.composite
def obfuscated_url(draw):
    """A URL whose scheme may be hidden by case, entities, tabs, newlines, NULs or spaces."""
    scheme = draw(st.sampled_from(_SCHEMES))
    body = draw(st.sampled_from(_SCRIPTS + ["//example.org/x", "example.org", "/x"]))
    text = f"{scheme}:{body}" if scheme else body
    head = len(scheme) + 1
    hiding = draw(st.sampled_from(_HIDINGS))
    if hiding in ("case", "all"):
        text = _case(text[:head], draw(st.lists(st.booleans(), max_size=head))) + text[head:]
    out = []
    if hiding in ("whitespace", "all"):
        out.append(draw(st.sampled_from(["", " ", "\t", "\x01", "\u00a0", "\n "])))
    for char in text[:head]:
        out.append(_entity(char, draw(st.integers(0, 4))) if hiding in ("entities", "all")
                   else char)
        if hiding in ("whitespace", "all"):
            out.append(draw(st.sampled_from(["", "", "", "\t", "\n", "\r", "&#9;", "&#x0A;"])))
    out.append(text[head:])
    return "".join(out)


def _quoted(value, quote):
    if quote == '"':
        return '"' + value.replace('"', "&quot;") + '"'
    if quote == "'":
        return "'" + value.replace("'", "&#39;") + "'"
    return re.sub(r"[\s>]", "", value) or "x"


@st.composite
def attribute(draw):
    kind = draw(st.sampled_from(["url", "handler", "other"]))
    if kind == "handler":
        name, value = draw(st.sampled_from(_HANDLERS)), draw(st.sampled_from(_SCRIPTS))
    elif kind == "url":
        name, value = draw(st.sampled_from(_URL_NAMES)), draw(obfuscated_url())
    else:
        name = draw(st.sampled_from(_OTHER_NAMES))
        value = draw(st.sampled_from(_CSS + _SCRIPTS + ["1", "x", "_blank"]))
    quote = draw(st.sampled_from(['"', "'", ""]))
    separator = draw(st.sampled_from([" ", "/", "\n", " / "]))
    return f"{separator}{name}={_quoted(value, quote)}"


_TEXT = st.sampled_from([
    "text", "Ketamine may help.", "<", ">", "&", "&lt;script&gt;", "\"'", "-->", "<!--",
    "]]>", "</", "`", "\u202e", "😀", "{{7*7}}",
])
_MARKDOWN = st.builds(
    lambda form, url: form.format(url=url),
    st.sampled_from(["[click]({url})", "![img]({url})", "[ref]\n\n[ref]: {url}\n",
                     "<{url}>", "[a]({url} \"t\")", "**[b]({url})**"]),
    obfuscated_url(),
)

# A link or embed whose address is the attack, the shape a sanitiser most often lets through.
_LINK = st.builds(
    lambda tag, name, url, quote: f"<{tag} {name}={_quoted(url, quote)}>link</{tag}>",
    st.sampled_from(["a", "A", "img", "iframe", "form", "button", "object", "embed"]),
    st.sampled_from(["href", "src", "action", "formaction", "data", "HREF"]),
    obfuscated_url(),
    st.sampled_from(['"', "'", ""]),
)


def _element(children):
    @st.composite
    def build(draw):
        tag = draw(st.sampled_from(_TAGS))
        tag = _case(tag, draw(st.lists(st.booleans(), max_size=len(tag))))
        attrs = "".join(draw(st.lists(attribute(), max_size=3)))
        inner = "".join(draw(st.lists(children, max_size=3)))
        closing = draw(st.sampled_from([f"</{tag}>", "", f"</{tag.upper()} >", "/>"]))
        if closing == "/>":
            return f"<{tag}{attrs}/>{inner}"
        return f"<{tag}{attrs}>{inner}{closing}"

    return build()


def hostile_html():
    """HTML (and Markdown) made of scripts, frames, styles, handlers and hidden script URLs,
    nested, unclosed and mixed with text and comments."""
    leaf = st.one_of(_LINK, _TEXT, _MARKDOWN, st.sampled_from(
        ["<!-- c -->", "<!--><img src=x onerror=alert(1)>", "<![CDATA[<img src=x onerror=1>]]>"]
    ))
    node = st.recursive(leaf, _element, max_leaves=8)
    return st.lists(node, min_size=1, max_size=4).map("".join)
