"""Backups an office can restore: `python -m bot db backup` / `db restore` and the nightly backup's log lines."""

from __future__ import annotations

CLI: dict[str, str] = {
    "help_db_backup": "备份数据库（机器人运行时也可以执行，得到的是同一时刻的完整副本）；加 --media 连同照片、语音等文件一起备份",
    "epilog_db_backup": (
        "示例：\n"
        "  python -m bot db backup --out 备份/连心桥-20261206.db\n"
        "  python -m bot db backup --out 备份/连心桥-20261206.tar --media     连同 MEDIA_DIR 里的文件\n"
        "SQLite 用其联机备份功能复制；PostgreSQL 用与服务器同一大版本的 pg_dump（自定义格式）。\n"
        "备份里有群众和委员的个人信息，请妥善保管。"
    ),
    "help_db_restore": "从备份恢复数据库（数据库里已有数据时需加 --force；会检查备份的数据库结构版本）",
    "epilog_db_restore": (
        "示例：\n"
        "  python -m bot db restore 备份/连心桥-20261206.db\n"
        "  python -m bot db restore 备份/lianxin-20261206-0230.tar --force   覆盖现有数据（先停止机器人）\n"
        "恢复前请先停止机器人。备份的结构版本比本程序旧时，恢复后会自动升级；比本程序新时拒绝恢复。"
    ),
    "metavar_backup": "备份文件",
    "help_backup_out": "备份写到这个文件（写完才出现，不会留下半个文件）",
    "help_backup_media": "连同 MEDIA_DIR 文件夹（照片、语音等）一起备份，写成一个 .tar 文件",
    "help_restore_file": "db backup 或每晚自动备份写出的文件",
    "help_restore_force": "数据库（或 MEDIA_DIR）里已有数据时也覆盖",
    "backup_made": "已备份到 {path}（{size}，数据库结构版本 {revision}）。",
    "backup_media_count": "其中包括 {folder} 中的 {count} 个文件。",
    "backup_failed": "备份失败：{reason}",
    "restore_refused": "没有恢复：{reason}",
    "restore_done": "已从 {path} 恢复数据库（备份时的结构版本 {revision}）。",
    "restore_upgraded": "备份的结构版本比本程序旧，已自动升级到最新。",
    "restore_media": "已恢复 {folder} 中的 {count} 个文件。",
    "backup_sqlite_memory": "内存数据库（:memory:）无法备份或恢复",
    "backup_database_missing": "数据库文件 {path} 不存在",
    "backup_file_missing": "找不到备份文件 {path}",
    "backup_not_a_backup": "{path} 不是连心桥的备份文件（既不是 SQLite 数据库、pg_dump 文件，也不是 .tar 备份）",
    "backup_other_database": "这是 {found} 数据库的备份，而现在设置的是 {target} 数据库，不能直接恢复",
    "backup_no_revision": "备份里没有数据库结构版本（不是本程序建立的数据库？）",
    "backup_newer_revision": "备份的数据库结构版本（{revision}）比本程序（{head}）新，请先升级程序再恢复",
    "backup_target_in_use": "数据库里已有数据（{rows} 行）。确认要用备份覆盖时，请先停止机器人，再加 --force",
    "backup_media_in_use": "{path} 里已有文件。确认要用备份覆盖时，请加 --force",
    "backup_pg_tool_missing": (
        "找不到 {tool}。PostgreSQL 的备份需要 {major} 版的客户端工具，请安装（例如 Debian/Ubuntu："
        "apt install postgresql-client-{major}）"
    ),
    "backup_pg_tool_version": (
        "{path} 是 {found} 版，而数据库服务器是 {major} 版；请安装 {major} 版的客户端工具"
        "（例如 apt install postgresql-client-{major}），本程序会自动使用 /usr/lib/postgresql/{major}/bin 里的"
    ),
    "backup_pg_dump_failed": "pg_dump 出错：{reason}",
    "backup_pg_restore_failed": "pg_restore 出错（数据库未改变）：{reason}",
    "backup_dump_unreadable": "读不出备份文件的内容：{reason}",
}
