"""Hot standby: which bot process leads on PostgreSQL, one process only on SQLite (`run`, `status`)."""

from __future__ import annotations

CLI: dict[str, str] = {
    "help_status": "显示哪个机器人进程在运行（PostgreSQL：主进程、开始时间、等待接替的备用进程数）",
    "epilog_status": "示例：\n  python -m bot status",
    "run_sqlite_busy": (
        "另一个机器人进程正在使用这个 SQLite 数据库（{path}），本进程不启动；"
        "SQLite 只能由一个进程使用，要一主一备请改用 PostgreSQL。"
    ),
    "run_standby": "已作为备用进程等待：主进程停止后 {seconds} 秒内由本进程接替。",
    "run_standby_reconnect": "备用进程与数据库的连接中断（{reason}），{seconds} 秒后重连，继续等待。",
    "run_leading": "本进程成为主进程，开始收发消息。",
    "run_leader_lost": "与数据库的连接中断：本进程立即停止收发消息，改为备用进程重新等待。",
    "status_leader": "主进程：{host} 上的进程 {pid}，自 {since} 起运行",
    "status_no_leader": "没有主进程在运行（机器人已停止）。",
    "status_standbys": "备用进程：{count} 个在等待接替",
    "status_sqlite_running": "机器人正在运行：进程 {pid}（SQLite 只允许一个进程）",
    "status_sqlite_stopped": "没有机器人进程在使用这个 SQLite 数据库。",
}
