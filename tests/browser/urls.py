"""Test-only URLs: a page that includes the diagram snippet, and the BPMN XML it draws."""
from pathlib import Path

from django.http import HttpResponse
from django.template import RequestContext, Template
from django.urls import path

BPMN = Path(__file__).resolve().parents[2] / "bpmn"

PAGE = Template("""<!doctype html>
<html lang="vi">
<head><meta charset="utf-8"><title>Sơ đồ quy trình</title><link rel="icon" href="data:,"></head>
<body>
<h1>{{ title }}</h1>
{% include "engine/diagram.html" with xml_url=xml_url current=current done=done infer_flows=infer_flows %}
{% if second_xml_url %}{% include "engine/diagram.html" with xml_url=second_xml_url skip_assets=True %}{% endif %}
</body>
</html>
""")


def diagram_page(request):
    """``?xml=<url>&current=a,b&done=c,d[&flows=given][&second=<url>]``: the snippet on a minimal page."""
    context = {
        "title": request.GET.get("title", "Sơ đồ quy trình / Process diagram"),
        "xml_url": request.GET.get("xml", "/bpmn/construction_permit.bpmn"),
        "current": request.GET.get("current", ""),
        "done": request.GET.get("done", ""),
        "infer_flows": request.GET.get("flows") != "given",
        "second_xml_url": request.GET.get("second", ""),
    }
    return HttpResponse(PAGE.render(RequestContext(request, context)))


def bpmn_file(request, name):
    file = BPMN / f"{name}.bpmn"
    if not file.is_file():
        return HttpResponse("not found", status=404, content_type="text/plain")
    return HttpResponse(file.read_bytes(), content_type="application/xml; charset=utf-8")


def not_bpmn(request):
    return HttpResponse("<html><body>not a BPMN file</body></html>", content_type="application/xml")


urlpatterns = [
    path("diagram/", diagram_page),
    path("bpmn/<slug:name>.bpmn", bpmn_file),
    path("not-bpmn.xml", not_bpmn),
]
