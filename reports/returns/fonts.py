"""The fonts printed letters are set in, so that any name prints as written.

A family's name may be written in any script: "Zoë Łukasiewicz", "محمد علي",
"陈伟". The PDF core fonts know only Windows-1252 and printed the rest as "?";
letters now embed subsets of free (SIL Open Font Licence) fonts that install
with the project from PyPI:

* Noto Sans (``fontpkg-noto-sans``): Latin, Greek, Cyrillic, Vietnamese. Every
  letter uses it (regular and bold). It ships as a variable font; a PDF embeds
  static glyphs, so each weight is made static once (several seconds) and kept
  in the user's cache folder (``$XDG_CACHE_HOME/dprecon/fonts``, else
  ``~/.cache/...``; a private temporary folder when that cannot be written),
  named by the package's version so an upgrade makes it again.
* Noto Sans Arabic (``fontpkg-noto-sans-arabic``): Arabic, Urdu, Persian.
* Noto Sans SC (``pylopdf-fonts-zh-cn``): Chinese, and Japanese kana.

The fallbacks are loaded only for a letter whose text needs them, so an
everyday letter costs no more than two font subsets. Right-to-left and joined
scripts are shaped with HarfBuzz (``uharfbuzz``), so Arabic letters join and
read right to left; a character no font has prints as the font's empty box.
"""

from __future__ import annotations

import atexit
import functools
import os
import secrets
import shutil
import tempfile
from dataclasses import dataclass
from importlib.metadata import version
from importlib.resources import files
from pathlib import Path

from fontTools.ttLib import TTFont
from fontTools.varLib import instancer

MAIN_FAMILY = "NotoSans"
# (package, file inside it, weight when the file is a variable font, keep its layout tables)
MAIN = {"": ("fontpkg_noto_sans", "files/NotoSans[wdth,wght].ttf", 400, False),
        "B": ("fontpkg_noto_sans", "files/NotoSans[wdth,wght].ttf", 700, False)}
FALLBACKS = (  # (family, *the same)
    ("NotoSansArabic", "fontpkg_noto_sans_arabic", "files/NotoSansArabic[wdth,wght].ttf", 400, True),
    ("NotoSansSC", "pylopdf_fonts_zh_cn", "NotoSansSC-Regular.otf", None, True),
)
# Latin needs no shaping, and subsetting these tables cost most of a letter's time (0.3 s of 0.45 s)
CACHE_FORMAT = 3  # bump when what _static makes changes
HEAVY = ("GSUB", "GPOS", "GDEF", "STAT", "HVAR", "MVAR", "fpgm", "prep", "cvt ", "gasp", "hdmx")


@dataclass(frozen=True)
class Face:
    family: str
    path: Path
    cmap: frozenset[int]

    def covers(self, ch: str) -> bool:
        return ord(ch) in self.cmap


GIVEN: list[Path] = []  # the folder of another process's font files (a letter worker's: its parent's)


def use_fonts_of(folder: Path) -> None:
    """Take the static font files from ``folder`` (:func:`fonts_folder` of the process that made them):
    a letter worker then neither probes the cache folder nor makes a folder of its own."""
    GIVEN[:] = [folder]


def fonts_folder() -> Path:
    """Where this process keeps its static fonts, once the main faces are made."""
    main_faces()
    return _workdir()


@functools.cache
def _workdir() -> Path:
    if GIVEN:
        return GIVEN[0]
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "dprecon" / "fonts"
    try:
        base.mkdir(parents=True, exist_ok=True)
        probe = base / f".probe-{secrets.token_hex(4)}"
        probe.touch()
        probe.unlink()
        return base
    except OSError:
        folder = Path(tempfile.mkdtemp(prefix="dprecon-fonts-"))
        atexit.register(shutil.rmtree, folder, True)
        return folder


def _static(package: str, name: str, weight: int | None, layout: bool) -> Path:
    """The font file, made static at ``weight`` (and normal width) when it is a variable font,
    without layout tables and hinting unless ``layout``."""
    source = Path(str(files(package).joinpath(name)))
    if weight is None:
        return source
    stem = source.stem.split("[")[0]
    plain = "" if layout else "-plain"
    out = _workdir() / f"{stem}-{version(package.replace('_', '-'))}-{weight}{plain}-{CACHE_FORMAT}{source.suffix}"
    if not out.exists():
        font = TTFont(source)
        axes = {a.axisTag for a in font["fvar"].axes}
        pins = {"wght": weight} | ({"wdth": 100} if "wdth" in axes else {})
        instancer.instantiateVariableFont(font, pins, inplace=True, static=True)
        for tag in () if layout else HEAVY:
            if tag in font:
                del font[tag]
        # its own name, so that a PDF's regular and bold are two fonts to a reader, not one
        style = {400: "Regular", 700: "Bold"}.get(weight, f"W{weight}")
        family = font["name"].getBestFamilyName()
        for name_id in (2, 4, 6, 16, 17, 21, 22):
            font["name"].removeNames(nameID=name_id)
        font["name"].setName(style, 2, 3, 1, 0x409)
        font["name"].setName(family if style == "Regular" else f"{family} {style}", 4, 3, 1, 0x409)
        font["name"].setName(f"{family.replace(' ', '')}-{style}", 6, 3, 1, 0x409)
        tmp = out.with_name(f".{out.name}.{secrets.token_hex(4)}")  # another process may be making it too
        font.save(tmp)
        os.replace(tmp, out)
    return out


def _face(family: str, path: Path) -> Face:
    cmap = TTFont(path, lazy=True).getBestCmap() or {}
    return Face(family, path, frozenset(cmap))


@functools.cache
def main_faces() -> dict[str, Face]:
    """Noto Sans regular (``""``) and bold (``"B"``), static."""
    return {style: _face(MAIN_FAMILY, _static(*spec)) for style, spec in MAIN.items()}


@functools.cache
def fallback_face(index: int) -> Face:
    family, *spec = FALLBACKS[index]
    return _face(family, _static(*spec))


def covered(text: str) -> bool:
    """Every character of ``text`` is in the main font (the fast path: no fallback, no shaping)."""
    return main_faces()[""].cmap.issuperset(map(ord, text))  # all(ord(ch) in cmap ...), in C


def fallbacks_for(text: str) -> list[Face]:
    """The fallback fonts that print the characters of ``text`` the main font lacks, in order."""
    main = main_faces()[""].cmap
    missing = {ch for ch in text if ord(ch) not in main and not ch.isspace()}
    out = []
    for i in range(len(FALLBACKS)):
        if not missing:
            break
        face = fallback_face(i)
        hit = {ch for ch in missing if face.covers(ch)}
        if hit:
            out.append(face)
            missing -= hit
    return out


def needs_shaping(text: str) -> bool:
    """Text in a script whose letters join or run right to left (Arabic, Hebrew, Syriac, Thaana, N'Ko)."""
    return any("\u0590" <= ch <= "\u08ff" or "\ufb1d" <= ch <= "\ufdff" or "\ufe70" <= ch <= "\ufeff"
               for ch in text)
