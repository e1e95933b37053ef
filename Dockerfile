# The app in one container: `docker build -t euphrates-2017 .` then `docker run -p 8501:8501 euphrates-2017`.
# Not built on the development machines (they reach no registry for the base image); tests/test_deploy.py checks
# that what it copies and runs exists and matches deploy/k8s/.
FROM python:3.11-slim-bookworm

# Debian's chromium draws the PNG and animation exports.
RUN apt-get update \
    && apt-get install -y --no-install-recommends chromium \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.txt constraints.txt ./
RUN pip install --no-cache-dir -r requirements.txt -c constraints.txt

COPY .streamlit ./.streamlit
COPY app.py ./
COPY pages ./pages
COPY euphrates ./euphrates
COPY geodata ./geodata
COPY static ./static

RUN useradd --create-home --uid 10001 euphrates && mkdir -p static/generated .cache \
    && chown euphrates static/generated .cache
USER 10001
# Checks the data once, here, and keeps the checked layers in .cache: a container starts without checking them.
RUN python -c "from euphrates.geodata import load_geodata; assert load_geodata().ok"
EXPOSE 8501
HEALTHCHECK CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health')"
CMD ["python", "-m", "streamlit", "run", "app.py", "--server.port", "8501", "--server.address", "0.0.0.0"]
