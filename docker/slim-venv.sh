#!/bin/sh
# Cut what the image never uses from the virtualenv (docs/docker.md, "Image size").
# Run in the builder stage after `uv sync`; every cut is a file the daemon never opens.
set -eu
venv=${1:-/app/.venv}
site=$(echo "$venv"/lib/python3.*/site-packages)

# Test suites, sample data, C headers and build-only tooling shipped inside wheels.
find "$site" -depth -type d -name tests -exec rm -rf {} +
rm -rf "$site"/matplotlib/mpl-data/sample_data \
       "$site"/numpy/f2py "$site"/numpy/distutils "$site"/numpy/_pyinstaller \
       "$site"/opencc/clib/bin "$site"/opencc/clib/include "$site"/opencc/clib/lib64 \
       "$site"/lxml/includes
find "$site" \( -name '*.pyi' -o -name '*.c' -o -name '*.h' -o -name '*.pxd' -o -name '*.pyx' \) -delete

# Babel's locale data (35 MB) serves courlan's URL language filter, which narcowatch never
# calls (trafilatura.extract does not either); keep the root and the topic languages.
find "$site"/babel/locale-data -name '*.dat' \
    ! -name root.dat ! -name en.dat ! -name 'en_*.dat' ! -name zh.dat ! -name 'zh_*.dat' \
    ! -name ru.dat ! -name ru_RU.dat -delete

# Fonts: charts use DejaVu Sans (matplotlib's default) and its mathtext fallbacks (cm, STIX
# General) and DejaVu Sans Mono; serif and the STIX size variants are never selected.
rm -f "$site"/matplotlib/mpl-data/fonts/ttf/DejaVuSerif*.ttf \
      "$site"/matplotlib/mpl-data/fonts/ttf/STIXNonUni*.ttf \
      "$site"/matplotlib/mpl-data/fonts/ttf/STIXSiz*.ttf

# Pillow's AVIF codec (charts are PNG and SVG); matplotlib's GUI backends (the image has no
# display: Agg, SVG, PDF and PS stay); numpy's and lxml's modules only their tests or no
# caller of ours use (lxml.objectify).
rm -f "$site"/PIL/_avif.*.so "$site"/pillow.libs/libavif-*.so*
rm -rf "$site"/matplotlib/backends/qt_editor "$site"/matplotlib/backends/web_backend
for gui in gtk qt tk wx macosx webagg nbagg; do
    rm -f "$site"/matplotlib/backends/*"$gui"*
done
rm -f "$site"/numpy/_core/_*_tests.*.so "$site"/numpy/_core/_simd.*.so \
      "$site"/lxml/objectify.*.so

# Debug symbols of extension modules. Not the vendored libraries in *.libs: auditwheel
# rewrote their headers with patchelf and `strip` would make them unloadable.
find "$site" -path '*.libs' -prune -o -name '*.so' -type f -print | xargs strip --strip-unneeded

# Bytecode only for what narcowatch imports (the runtime user cannot write it later):
# import every module of the app and what its charts and article extraction use, then
# compile exactly the modules that were loaded.
find "$site" -name __pycache__ -type d -prune -exec rm -rf {} +
cd / && "$venv"/bin/python - <<'PY'
import importlib
import io
import pkgutil

import bot

for module in pkgutil.walk_packages(bot.__path__, "bot."):
    if not module.name.startswith("bot.storage.migrations"):
        importlib.import_module(module.name)

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

figure, axes = plt.subplots(figsize=(2, 1))
axes.bar([1, 2], [3, 4])
figure.savefig(io.BytesIO(), format="png")
figure.savefig(io.BytesIO(), format="svg")
import trafilatura  # noqa: E402

trafilatura.extract("<html><body><article><p>" + "Some text. " * 40 + "</p></article></body></html>")

import py_compile  # noqa: E402
import sys  # noqa: E402
import sysconfig  # noqa: E402

site = sysconfig.get_paths()["purelib"]
for loaded in list(sys.modules.values()):
    path = getattr(loaded, "__file__", None) or ""
    if path.startswith(site) and path.endswith(".py"):
        py_compile.compile(path, doraise=True)
PY
"$venv"/bin/python -m compileall -q "$site"/bot/storage/migrations
