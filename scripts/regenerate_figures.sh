#!/bin/sh
# Regenerate the figures of README.md in docs/images/, and print the tables the README quotes.
# Run from the repository root with descend installed (pip install '.[fast,dask]'); the
# Fashion-MNIST figure needs its IDX files (apt-get install dataset-fashion-mnist).
set -eu
out=docs/images
descend compare --backend numpy --out "$out" --quiet
descend train --dataset digits --optimizer adam --out "$out/digits" --quiet
rm -f "$out/digits/train-boundary.png"
descend train --dataset fashion_mnist --hidden 256,128 --epochs 10 --out "$out/fashion" --quiet
descend trajectory --surface rosenbrock --out "$out" --quiet
descend sweep --dataset digits --optimizers adam,momentum --learning-rates 0.001,0.01 \
    --seeds 0,1 --out "$out/sweep" --quiet
