#!/usr/bin/env bash

#SBATCH -J grader-worker
#SBATCH -p gpu
#SBATCH -A nn101
#SBATCH -n 1
#SBATCH --cpus-per-task=8
#SBATCH --mem=30G
#SBATCH -t 02:00:00
#SBATCH --gres=gpu:2
source /home/course/venv/bin/activate
python -m distributed.cli.dask_worker tcp://login-node:8786 --name grader-worker --nthreads 4 --memory-limit 14.90GiB --nworkers 2 --nanny --death-timeout 60 --resources GPU=1
