# Mergesmith developer entry points. `make run` and `make test` set everything up from nothing.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
# The CPU build of torch; our machines take it from local disk. Set TORCH_SPEC to your own
# (e.g. TORCH_SPEC=torch for a CUDA build) — pyproject.toml keeps the range open.
# Where pip reaches only the public index, torch==2.13.0 there is the CUDA build (several GB):
# TORCH_INDEX=https://download.pytorch.org/whl/cpu takes the CPU build from PyTorch's own index.
TORCH_SPEC ?= torch==2.13.0
TORCH_INDEX ?=
STAMP := $(VENV)/.mergesmith-installed
# llama.cpp judges the GGUF export: llama-cpp-python (compiled from its source package: minutes, once;
# pip keeps the built wheel) and llama.cpp's own converter, unpacked from the same source package.
LLAMA_CPP_PY ?= 0.3.36
LLAMA_SRC := .cache/llama.cpp

.PHONY: setup run demo test bench clean translations llama-cpp-src

$(STAMP): pyproject.toml Makefile
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet "$(TORCH_SPEC)" $(if $(TORCH_INDEX),--index-url "$(TORCH_INDEX)")
	$(PY) -m pip install --quiet -e ".[test]"
	# The tests write DeepSpeed checkpoints with DeepSpeed itself. Its sdist's setup.py imports torch:
	# build it against the torch above, never in an isolated build env (that would fetch a CUDA torch).
	DS_BUILD_OPS=0 $(PY) -m pip install --quiet --no-build-isolation "deepspeed==0.16.2"
	CMAKE_BUILD_PARALLEL_LEVEL=$$(nproc) $(PY) -m pip install --quiet "llama-cpp-python==$(LLAMA_CPP_PY)"
	touch $(STAMP)

$(LLAMA_SRC)/convert_hf_to_gguf.py:
	mkdir -p .cache/sdist $(LLAMA_SRC)
	$(PY) -m pip download --quiet --no-deps --no-binary :all: "llama-cpp-python==$(LLAMA_CPP_PY)" -d .cache/sdist
	tar -xzf .cache/sdist/llama_cpp_python-$(LLAMA_CPP_PY).tar.gz -C $(LLAMA_SRC) --strip-components=3 \
		llama_cpp_python-$(LLAMA_CPP_PY)/vendor/llama.cpp/convert_hf_to_gguf.py \
		llama_cpp_python-$(LLAMA_CPP_PY)/vendor/llama.cpp/conversion \
		llama_cpp_python-$(LLAMA_CPP_PY)/vendor/llama.cpp/gguf-py

llama-cpp-src: setup $(LLAMA_SRC)/convert_hf_to_gguf.py

setup: $(STAMP)

# The desktop app; with no ARGS it offers the built-in demo training output.
run: setup
	$(VENV)/bin/mergesmith-gui $(ARGS)

test: setup llama-cpp-src
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q

# After changing a window string: new entries into the .ts (then translate them, e.g. in
# pyside6-linguist), then the .qm compiled from it. `make test` fails while either is stale.
translations: setup
	$(PY) tools/translations.py update
	$(PY) tools/translations.py release

bench: setup
	$(PY) bench/bench_merge.py

clean:
	rm -rf $(VENV) build *.egg-info bench/work .cache
