#!/usr/bin/python3
"""picture_check.py REPORT.json MAP.png MAP.svg MAP.pdf — what fsck.phasefs --map must
show, checked on the pictures themselves rather than pixel by pixel (tests/fsck/run.sh):
  - the PNG: on each layer's disc map, clusters in the uncorrectable colour exactly when
    the report counts uncorrectable clusters on that layer, and a layer whose every
    written cluster failed is mostly that colour (a dead zone shows as one);
  - the SVG: parses, its <title> is the title drawn ("Disc maps of IMAGE"), and
    rsvg-convert renders it with the same dead zones as the PNG;
  - the PDF: its text (pdftotext) holds the title, profile and both layers' headings.
The disc maps' places on the page follow fsck/map.c (ROW_TOP, ROW_H, DISC_R).
Needs python3-pil, rsvg-convert (librsvg2-bin) and pdftotext (poppler-utils)."""
import json
import math
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

from PIL import Image

UNCORRECTABLE = (0xE4, 0x1A, 0x1C)
PAGE_W, ROW_TOP, ROW_H, DISC_R = 1320.0, 92.0, 410.0, 150.0
R_IN_MM, R_OUT_MM, R_PAGE_MM = 24.0, 58.0, 59.0


def red_fraction(img, row):
    """Share of the data annulus of disc map `row` (0: near) in the uncorrectable colour."""
    scale = img.size[0] / PAGE_W
    cx, cy = (24 + 20 + DISC_R) * scale, (ROW_TOP + row * ROW_H + 40 + DISC_R) * scale
    r0 = DISC_R * (R_IN_MM + 1) / R_PAGE_MM * scale
    r1 = DISC_R * (R_OUT_MM - 1) / R_PAGE_MM * scale
    px = img.load()
    n = red = 0
    step = 2
    for y in range(int(cy - r1), int(cy + r1), step):
        for x in range(int(cx - r1), int(cx + r1), step):
            d = math.hypot(x - cx, y - cy)
            if r0 <= d <= r1:
                n += 1
                red += px[x, y][:3] == UNCORRECTABLE
    return red / n


def check_disc_maps(img, report, what):
    layers = report["health"]["layers"]  # near first, as the rows
    for row, L in enumerate(layers):
        f = red_fraction(img, row)
        bad = L["total"]["uncorrectable"]
        if bad:
            assert f > 0, "%s: %s has %d uncorrectable clusters, none drawn" % (what, L["name"], bad)
        else:
            assert f == 0, "%s: %s has none uncorrectable, %.3f drawn so" % (what, L["name"], f)
        if bad and bad == L["written"]:
            assert f > 0.5, "%s: %s is dead, only %.2f of its disc drawn so" % (what, L["name"], f)


def main():
    report = json.load(open(sys.argv[1]))
    png, svg, pdf = sys.argv[2:5]
    title = "Disc maps of " + report["image"]

    img = Image.open(png).convert("RGB")
    assert abs(img.size[0] / img.size[1] - PAGE_W / 1010.0) < 0.01, img.size
    check_disc_maps(img, report, "PNG")

    root = ET.parse(svg).getroot()
    ns = "{http://www.w3.org/2000/svg}"
    t = root.find(ns + "title")
    assert t is not None and t.text == title, (t.text if t is not None else None, title)
    with tempfile.NamedTemporaryFile(suffix=".png") as out:
        subprocess.run(["rsvg-convert", "-o", out.name, svg], check=True)
        check_disc_maps(Image.open(out.name).convert("RGB"), report, "SVG via rsvg-convert")

    text = subprocess.run(["pdftotext", pdf, "-"], check=True, capture_output=True,
                          text=True).stdout
    for want in (title, "profile " + report["health"]["profile"], "L1 (near)", "L0 (far)",
                 "uncorrectable", "radius (mm)"):
        assert want in text, "PDF text lacks %r" % want
    return 0


if __name__ == "__main__":
    sys.exit(main())
