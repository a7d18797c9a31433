"""Cover art as Apple wants it: square, 1400 to 3000 px, JPEG or PNG, RGB, named for what it is.

`artwork_problems` says everything wrong with one image; `conform` writes a copy that passes
(centre-cropped to a square, scaled into range, flattened to RGB, saved in a format its
extension names).
"""

from __future__ import annotations

from pathlib import Path

from toolkit.errors import PodkitError, Problem

MIN_SIZE, MAX_SIZE = 1400, 3000
EXTENSIONS = {"JPEG": (".jpg", ".jpeg"), "PNG": (".png",)}
FIX_HINT = "run `podkit check --fix-artwork` to write a conforming copy"


def artwork_problems(path: Path) -> list[Problem]:
    """What is wrong with the image at ``path`` for Apple Podcasts (empty when nothing is)."""
    from PIL import Image, UnidentifiedImageError

    if not path.is_file():
        return [Problem("artwork file not found", path)]
    try:
        with Image.open(path) as img:
            fmt, (width, height), mode = img.format or "", img.size, img.mode
    except (UnidentifiedImageError, OSError) as exc:
        return [Problem(f"not a readable image ({exc.__class__.__name__})", path, hint="use a JPEG or PNG file")]
    problems: list[Problem] = []
    if fmt not in EXTENSIONS:
        problems.append(Problem(f"artwork is {fmt or 'an unknown format'}, not JPEG or PNG", path, hint=FIX_HINT))
    elif path.suffix.lower() not in EXTENSIONS[fmt]:
        problems.append(Problem(f"the file is a {fmt} but its name ends in {path.suffix or '(nothing)'!r}", path,
                                hint=f"rename it to {path.stem}{EXTENSIONS[fmt][0]}"))
    if width != height:
        problems.append(Problem(f"artwork is {width}x{height} px, not square", path, hint=FIX_HINT))
    if min(width, height) < MIN_SIZE or max(width, height) > MAX_SIZE:
        problems.append(Problem(f"artwork is {width}x{height} px; Apple wants {MIN_SIZE} to {MAX_SIZE} px a side",
                                path, hint=FIX_HINT))
    if mode != "RGB":
        problems.append(Problem(f"artwork's colour mode is {mode}, not RGB", path, hint=FIX_HINT))
    return problems


def conform(path: Path, dest: Path | None = None) -> Path:
    """Write a conforming copy of ``path`` (default: ``<stem>-podcast.<ext>`` beside it); returns its path."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as src:
            fmt = src.format
            img = src.convert("RGBA") if src.mode in ("RGBA", "LA", "P", "PA") else src.convert("RGB")
    except (UnidentifiedImageError, OSError) as exc:
        raise PodkitError(f"cannot read the artwork ({exc.__class__.__name__})", path=path,
                          hint="use a JPEG or PNG file") from exc
    if img.mode == "RGBA":
        # Apple's RGB rule has no alpha: flatten onto white, which is how most apps show it anyway.
        flat = Image.new("RGB", img.size, (255, 255, 255))
        flat.paste(img, mask=img.getchannel("A"))
        img = flat
    side = min(img.size)
    left, top = (img.width - side) // 2, (img.height - side) // 2
    img = img.crop((left, top, left + side, top + side))
    target = min(max(side, MIN_SIZE), MAX_SIZE)
    if target != side:
        img = img.resize((target, target), Image.Resampling.LANCZOS)
    # Keep PNG for PNG sources (flat art compresses well and stays sharp); everything else becomes JPEG.
    out_fmt = "PNG" if fmt == "PNG" else "JPEG"
    dest = dest or path.with_name(f"{path.stem}-podcast{EXTENSIONS[out_fmt][0]}")
    if dest.suffix.lower() not in EXTENSIONS[out_fmt]:
        dest = dest.with_suffix(EXTENSIONS[out_fmt][0])
    if out_fmt == "JPEG":
        img.save(dest, "JPEG", quality=90, optimize=True)
    else:
        img.save(dest, "PNG", optimize=True)
    return dest
