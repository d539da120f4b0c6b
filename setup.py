"""Build script: the optional C kernel and the bundled model (everything else is in pyproject.toml)."""

import shutil
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_py import build_py


class BuildPyWithModel(build_py):
    """Copy models/default into the package as stancecls/_bundled, so a wheel carries the bundled model."""

    def run(self):
        super().run()
        source = Path(__file__).resolve().parent / "models" / "default"
        if source.is_dir() and not self.editable_mode:
            target = Path(self.build_lib) / "stancecls" / "_bundled"
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(source, target)


setup(
    # optional: without a C compiler the build goes on; stancecls then computes the same scores with NumPy
    # and the same stems with PySastrawi
    ext_modules=[
        Extension("stancecls._kernel", ["src/stancecls/_kernel.c"], optional=True),
        Extension("stancecls._sastrawi", ["src/stancecls/_sastrawi.c"], optional=True),
    ],
    cmdclass={"build_py": BuildPyWithModel},
)
