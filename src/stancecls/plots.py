"""PNG figures of an evaluation report (matplotlib, an optional extra: ``pip install 'stancecls[plots]'``)."""

from __future__ import annotations

from pathlib import Path

from .errors import StanceclsError

__all__ = ["write_plots"]


def _pyplot():
    try:
        import matplotlib

        matplotlib.use("Agg")  # files only, no display needed
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise StanceclsError("matplotlib is not installed", "pip install 'stancecls[plots]' to write plots") from exc
    return plt


def write_plots(report: dict, folder: str | Path) -> list[Path]:
    """Write the stance confusion matrix, topic confusion matrices and reliability diagrams; returns the paths."""
    plt = _pyplot()
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []

    sc = report["stance_confusion"]
    fig, ax = plt.subplots(figsize=(4.8, 4))
    matrix = sc["matrix"]
    ax.imshow(matrix, cmap="Blues")
    ax.set_xticks(range(len(sc["labels_pred"])), sc["labels_pred"])
    ax.set_yticks(range(len(sc["labels_true"])), sc["labels_true"])
    ax.set_xlabel("predicted")
    ax.set_ylabel("gold")
    top = max(max(r) for r in matrix) or 1
    for i, row in enumerate(matrix):
        for j, v in enumerate(row):
            ax.text(j, i, str(v), ha="center", va="center", color="white" if v > top / 2 else "black")
    ax.set_title(f"Stance on gold topics (macro-F1 {report['stance_macro_f1']:.3f})")
    fig.tight_layout()
    paths.append(folder / "stance_confusion.png")
    fig.savefig(paths[-1], dpi=120)
    plt.close(fig)

    topics = list(report["topic_confusion"])
    fig, axes = plt.subplots(1, len(topics), figsize=(3.2 * len(topics), 3.2), squeeze=False)
    for ax, t in zip(axes[0], topics):
        cm = report["topic_confusion"][t]
        m = [[cm["tn"], cm["fp"]], [cm["fn"], cm["tp"]]]
        ax.imshow(m, cmap="Greens")
        ax.set_xticks([0, 1], ["no", "yes"])
        ax.set_yticks([0, 1], ["no", "yes"])
        ax.set_xlabel("predicted")
        ax.set_ylabel("gold")
        top = max(max(r) for r in m) or 1
        for i in range(2):
            for j in range(2):
                ax.text(j, i, str(m[i][j]), ha="center", va="center", color="white" if m[i][j] > top / 2 else "black")
        ax.set_title(f"{t}\nF1 {report['per_topic'][t]['f1']:.3f}", fontsize=9)
    fig.tight_layout()
    paths.append(folder / "topic_confusion.png")
    fig.savefig(paths[-1], dpi=120)
    plt.close(fig)

    if "calibration" in report:
        fig, ax = plt.subplots(figsize=(5, 5))
        ax.plot([0, 1], [0, 1], "--", color="grey", label="perfect")
        for t, c in report["calibration"]["per_topic"].items():
            pts = c["reliability"]
            line, = ax.plot([p["confidence"] for p in pts], [p["frequency"] for p in pts], "-", alpha=0.6,
                            label=f"{t} (ECE {c['ece']:.3f})")
            # marker area grows with the bin's size, so a bin of one paragraph does not look like evidence
            ax.scatter([p["confidence"] for p in pts], [p["frequency"] for p in pts], color=line.get_color(),
                       s=[12 + 120 * (p["count"] / max(q["count"] for q in pts)) ** 0.5 for p in pts])
        ax.set_xlabel("predicted probability")
        ax.set_ylabel("observed frequency")
        ax.set_title(f"Topic reliability (Brier {report['calibration']['brier']:.4f}; marker size ~ bin size)")
        ax.legend(fontsize=7)
        fig.tight_layout()
        paths.append(folder / "reliability.png")
        fig.savefig(paths[-1], dpi=120)
        plt.close(fig)
    return paths
