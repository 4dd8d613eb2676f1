# The two commands a fresh machine needs: `make demo` and `make test`.
# Each creates .venv (Python >= 3.11) and installs the project into it once;
# a second run only reinstalls when pyproject.toml changed.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
CORES  ?= 2

.PHONY: demo test clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# the demo's simulator places the shared test data's real orbit when it sits beside the checkout
# (else an analytic orbit); a DINSAR_ORBIT_FILE already set wins
SHARED_ORBIT := $(wildcard ../shared/data/s1_iw_slc_azores/S1A_OPER_AUX_RESORB_OPOD_20220918T093241_V20220918T053155_20220918T084925.EOF)
demo: export DINSAR_ORBIT_FILE ?= $(abspath $(SHARED_ORBIT))
demo: $(STAMP)
	$(BIN)/dinsar run config/config.yaml --cores $(CORES)

test: $(STAMP)
	$(BIN)/ruff check .
	sh tests/install_slurm.sh
	$(BIN)/python -m pytest -q -n $(CORES) --dist loadfile

clean:
	rm -rf results logs demo .snakemake
