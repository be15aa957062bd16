"""`python -m vmodels.export NAME --format onnx`: export a registered model and check it.

Builds the model (random weights unless ``--weights``), exports it on random example inputs
(``--batch`` images of ``--size`` pixels; a detector gets ``--batch`` images in a list), checks
the artefact against eager and prints the report. Exits with 1 when the check fails.
"""

import argparse
import sys

import torch

from .._registry import get_model, get_model_entry
from . import FORMATS, ExportCheckError, export


def example_inputs(task: str, batch: int, size: int, seed: int = 0) -> tuple:
    """Random images in [0, 1]: ``(Tensor[batch, 3, size, size],)``, or for a detector
    ``([Tensor[3, size, size]] * batch,)``."""
    generator = torch.Generator().manual_seed(seed)
    if task == "detection":
        return ([torch.rand(3, size, size, generator=generator) for _ in range(batch)],)
    return (torch.rand(batch, 3, size, size, generator=generator),)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m vmodels.export", description=__doc__)
    parser.add_argument("name", help="a registered model (vmodels.list_models())")
    parser.add_argument("--format", choices=FORMATS, default="onnx")
    parser.add_argument("--output", help="the artefact's path (default: NAME.onnx or NAME.pt2)")
    parser.add_argument("--weights", help="a weights name or file (default: random weights)")
    parser.add_argument("--batch", type=int, default=2, help="example images (default 2)")
    parser.add_argument("--size", type=int, default=224, help="image side (default 224)")
    parser.add_argument("--static", action="store_true", help="fix every size")
    parser.add_argument("--no-check", action="store_true", help="write the artefact only")
    parser.add_argument("--atol", type=float, default=1e-3)
    parser.add_argument("--rtol", type=float, default=1e-3)
    args = parser.parse_args(argv)
    if args.batch < 1 or args.size < 1:
        parser.error(f"--batch and --size must be positive, got {args.batch} and {args.size}")
    try:
        task = get_model_entry(args.name).task
    except ValueError as error:
        parser.error(str(error))
    output = args.output or args.name + (".onnx" if args.format == "onnx" else ".pt2")
    model = get_model(args.name, weights=args.weights).eval()
    try:
        export(
            model,
            example_inputs(task, args.batch, args.size),
            args.format,
            path=output,
            dynamic=not args.static,
            check=not args.no_check,
            atol=args.atol,
            rtol=args.rtol,
        )
    except ExportCheckError:
        return 1  # export printed the report
    return 0


if __name__ == "__main__":
    sys.exit(main())
