"""Checks every picture test shares: the SVG parses as XML, holds no script or event attribute, and escapes."""

import xml.etree.ElementTree as ET

SVG_NS = "{http://www.w3.org/2000/svg}"
HOSTILE = "<script>alert('x')</script> & \"quoted\" 'single'"


def parse_svg(content: bytes | str) -> ET.Element:
    text = content.decode() if isinstance(content, bytes) else content
    root = ET.fromstring(text)  # raises on anything that is not well-formed XML
    assert root.tag == f"{SVG_NS}svg"
    for element in root.iter():
        assert element.tag.removeprefix(SVG_NS) not in ("script", "foreignObject", "iframe", "image", "use")
        assert not any(name.lower().startswith("on") for name in element.attrib), element.attrib
        for name, value in element.attrib.items():
            assert "javascript:" not in value.lower()
            if name.endswith("href"):
                raise AssertionError(f"external reference {value}")
    assert "<script" not in text.lower()
    return root


def texts(root: ET.Element) -> list[str]:
    """Every text node (labels and <title> hover texts) as the browser would read it, entities decoded."""
    kinds = ("text", "title")
    return ["".join(element.itertext()) for element in root.iter() if element.tag.removeprefix(SVG_NS) in kinds]


def assert_escaped(content: bytes, raw: str = HOSTILE) -> None:
    """The hostile text reaches the picture only as text: decoded, it reads back; raw, it never appears."""
    text = content.decode()
    assert "<script>" not in text
    root = parse_svg(content)
    assert any("<script>alert('x')</script>" in t for t in texts(root)), "the hostile title is shown, as text"
