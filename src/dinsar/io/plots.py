"""Plots of the report (matplotlib, no display): baselines of a stack, offsets of a deformation grid."""

from __future__ import annotations

import datetime as dt

import numpy as np


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def baselines_png(records: list[dict], pairs: list[list[str]], dst) -> None:
    """Perpendicular baseline against date; grey lines the master pairs, blue the small-baseline ones."""
    plt = _pyplot()
    when = {r["name"]: dt.datetime.fromisoformat(r["time"][:26]) for r in records}
    bperp = {r["name"]: r["b_perp_m"] for r in records}
    master = next(r["name"] for r in records if r["master"])
    fig, ax = plt.subplots(figsize=(7, 4), dpi=100)
    for r in records:
        if not r["master"]:
            ax.plot([when[master], when[r["name"]]], [0, bperp[r["name"]]], color="0.6", lw=1, zorder=1)
    for a, b in pairs:
        ax.plot([when[a], when[b]], [bperp[a], bperp[b]], color="tab:blue", lw=1, zorder=1)
    ax.scatter([when[n] for n in when], [bperp[n] for n in when], zorder=2,
               c=["tab:red" if n == master else "k" for n in when])
    ax.set_xlabel("acquisition date")
    ax.set_ylabel("perpendicular baseline (m)")
    ax.set_title(f"{len(records)} dates; grey: master pairs, blue: {len(pairs)} small-baseline pairs")
    ax.grid(alpha=0.3)
    fig.autofmt_xdate()
    fig.tight_layout()
    fig.savefig(dst, format="png")
    plt.close(fig)


def offsets_png(dst, node_lines, node_cols, offset_l, offset_c, resid_l, resid_c, kept, title: str) -> None:
    """The slave - master offsets at the grid nodes (lines, columns) and the correlation residuals
    against the fitted model (arrows; grey where rejected)."""
    plt = _pyplot()
    fig, axes = plt.subplots(1, 3, figsize=(13, 4), dpi=100)
    extent = (node_cols[0], node_cols[-1], node_lines[-1], node_lines[0])
    for ax, values, name in ((axes[0], offset_l, "line offset (px)"), (axes[1], offset_c, "column offset (px)")):
        im = ax.imshow(values, extent=extent, aspect="auto", cmap="viridis")
        ax.set_title(name)
        ax.set_xlabel("master column")
        ax.set_ylabel("master line")
        fig.colorbar(im, ax=ax, shrink=0.85)
    ax = axes[2]
    nl, nc = np.meshgrid(node_lines, node_cols, indexing="ij")
    ok = np.isfinite(resid_l) & np.isfinite(resid_c)
    scale = max(float(np.nanpercentile(np.hypot(resid_l, resid_c)[ok], 95)) if ok.any() else 0.0, 1e-3)
    for mask, colour in ((ok & kept, "tab:blue"), (ok & ~kept, "0.6")):
        ax.quiver(nc[mask], nl[mask], resid_c[mask], -resid_l[mask], color=colour, angles="xy",
                  scale=scale * 20, width=0.004)
    ax.set_xlim(extent[0], extent[1])
    ax.set_ylim(extent[2], extent[3])
    ax.set_title(f"correlation - model (95 %: {scale:.3f} px)")
    ax.set_xlabel("master column")
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(dst, format="png")
    plt.close(fig)
