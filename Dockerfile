# 连心桥 Lianxin 的容器镜像：python:3.11-slim（Debian 12）加 PostgreSQL 15 的客户端，运行 python -m bot run。
# 数据都在卷 /data 里（LIANXIN_HOME=/data：SQLite 数据库默认在 /data/data/lianxin.db，
# 也可以放一个 /data/.env）。镜像里不含任何令牌或密码：设置在运行时由环境变量提供，
# 例如 docker compose 的 env_file: .env，或 docker run --env-file .env。
# 用法见 README.md 的“用 Docker Compose 部署”。
# Debian 12 (bookworm)：它自带 postgresql-client-15，与 compose.yaml 的 postgres:15 同一大版本
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    LIANXIN_HOME=/data

# pg_dump / pg_restore（python -m bot db backup / restore 在 PostgreSQL 上要用）：必须与数据库服务器
# 同一大版本，compose.yaml 的数据库换大版本时这里一起换
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-client-15 \
    && rm -rf /var/lib/apt/lists/*

# 程序在 /app；数据库结构的升级脚本（alembic/）要和 bot/ 放在同一个文件夹里
WORKDIR /app
COPY pyproject.toml README.md alembic.ini ./
COPY alembic ./alembic
COPY bot ./bot
COPY handlers ./handlers
COPY models ./models
COPY scheduler ./scheduler
RUN pip install -e . \
    && useradd --system --create-home --home-dir /home/lianxin --shell /usr/sbin/nologin lianxin \
    && mkdir -p /data \
    && chown lianxin:lianxin /data

# 以专用用户运行；在 /data 里执行命令，命令里写的相对路径（名册、邀请码文件）都在卷里
USER lianxin
WORKDIR /data
VOLUME ["/data"]
CMD ["python", "-m", "bot", "run"]
