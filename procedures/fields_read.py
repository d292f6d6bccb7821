"""Which applicant form fields a version's process reads: the stand-in until the engine answers it.

Publishing is refused while the process reads a field the applicant's form does not define (the first
script to read it would fail at the citizen's dossier). ``applicant_fields_read`` reads every script,
condition, parameter and expression text of the file (element text and attribute values, so
``form[&quot;x&quot;]`` in a SpiffArena attribute counts) and collects ``form["x"]`` and ``form['x']``, the
reads that fail when the field is missing; ``form.get("x")`` is the author's way to read a field that may
be absent and is not listed. A field name computed at run time (``form[name]``) cannot be known.
"""
import re

from onestop.engine import parsing

_READS = re.compile(r"""\bform\s*\[\s*(["'])([^"'\\]+)\1""")


def applicant_fields_read(xml_bytes: bytes, process_id: str | None = None) -> set[str]:
    """The names of the applicant's form fields the BPMN file reads, anywhere in the file."""
    root = parsing.read_xml(xml_bytes)
    found = set()
    for node in root.iter():
        texts = [node.text or "", *node.attrib.values()] if isinstance(node.tag, str) else []
        for text in texts:
            if "form" in text:
                found.update(match.group(2) for match in _READS.finditer(text))
    return found
