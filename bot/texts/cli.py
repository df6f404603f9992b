"""The command line (python -m bot …): argparse, help, settings problems, and each command's output.

Plain text, never HTML; rendered with `cli_text(key, **values)`. One line per failure, saying what to do.
"""

from __future__ import annotations

# argparse's names of value types
ARG_KINDS = {"int": "整数", "float": "数字"}

# an example of a good value for each setting, shown in its error line
SETTING_EXAMPLES: dict[str, str] = {
    "BOT_TOKEN": "123456789:AAHk1xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx（在 @BotFather 复制整串）",
    "BOT_USERNAME": "lianxin_bot",
    "BOT_API_BASE_URL": "https://api.telegram.org/bot",
    "BOT_API_FILE_URL": "https://api.telegram.org/file/bot",
    "BOT_PROXY_URL": "socks5://127.0.0.1:1080 或 http://127.0.0.1:7890",
    "DATABASE_URL": "sqlite+aiosqlite:///data/lianxin.db 或 postgresql+psycopg://用户:密码@127.0.0.1:5432/lianxin",
    "ADMIN_IDS": "123456789,987654321",
    "TIMEZONE": "Asia/Shanghai",
    "LOG_LEVEL": "INFO",
    "WEBHOOK_URL": "https://bot.example.org/telegram",
    "WEBHOOK_LISTEN": "127.0.0.1",
    "WEBHOOK_PORT": "8443",
    "WEBHOOK_SECRET": "Xq3vT9pL2mK7wR4sZ8nB（16–256 个字母、数字、_ 或 -）",
    "WEBAPP_URL": "https://bot.example.org/board/",
    "WEBAPP_LISTEN": "127.0.0.1",
    "WEBAPP_PORT": "8444",
    "WEBAPP_AUTH_MAX_AGE": "3600",
    "INVITE_TTL_DAYS": "30",
    "BIND_MAX_FAILURES": "5",
    "BIND_LOCKOUT_MINUTES": "60",
    "PERSISTENCE_INTERVAL_SECONDS": "5",
    "CONVERSATION_TIMEOUT_MINUTES": "30",
    "ACTIVITY_KINDS": '[{"code":"visit","name":"主动走访","points":2}]',
    "QUARTERLY_ACTIVITY_TARGET": "1",
    "YEARLY_PEOPLE_TARGET": "40",
    "LATE_LOG_GRACE_DAYS": "10",
    "ACTIVITY_EDIT_WINDOW_DAYS": "7",
    "DUPLICATE_WINDOW_HOURS": "24",
    "ROUTING_FILE": "/srv/lianxin/诉求分派表.csv（留空用自带的 bot/data/routing_sample.csv）",
    "CASE_REOPEN_DAYS": "7",
    "MAX_REQUESTS_PER_DAY": "5",
    "DUPLICATE_REQUEST_HOURS": "24",
    "CASE_RELAY_MAX_MESSAGES": "10",
    "CASE_RELAY_WINDOW_MINUTES": "10",
    "CASE_EXPECTED_DAYS": "15",
    "CASE_REMIND_HOURS": "48",
    "CASE_REROUTE_HOURS": "72",
    "CASE_OVERDUE_DAYS": "15",
    "CASE_CONFIRM_GRACE_DAYS": "3",
    "REMINDER_RULES": "no_activity,below_pace,bottom_share",
    "REMINDER_MOMENTS": "mid=45,late=-15",
    "REMINDER_TIME": "09:00",
    "REMINDER_BOTTOM_SHARE": "0.1",
    "HTTP_POOL_TUNING": "true（升级 httpx/httpcore 后出问题时设为 false）",
    "SQLITE_FAST_DRIVER": "true（升级 SQLAlchemy/aiosqlite 后出问题时设为 false）",
}

# pydantic's error types in words; {value} is the value given (never shown for secrets)
_SETTING_PROBLEMS: dict[str, str] = {
    "int_parsing": "「{value}」不是整数",
    "int_from_float": "「{value}」不是整数",
    "float_parsing": "「{value}」不是数字",
    "bool_parsing": "「{value}」应为 true 或 false",
    "greater_than_equal": "「{value}」太小，不能小于 {ge}",
    "greater_than": "「{value}」太小，必须大于 {gt}",
    "less_than_equal": "「{value}」太大，不能大于 {le}",
    "less_than": "「{value}」太大，必须小于 {lt}",
    "string_pattern_mismatch": "「{value}」格式不对（应只含小写字母、数字和 _）",
    "string_too_short": "不能为空",
    "string_too_long": "「{value}」太长（最多 {max_length} 个字符）",
    "json_invalid": "不是有效的 JSON",
    "list_type": "应为 JSON 列表，如 [ … ]",
    "model_type": "应为 JSON 对象，如 {{ … }}",
    "model_attributes_type": "应为 JSON 对象，如 {{ … }}",
    "dict_type": "应为 JSON 对象，如 {{ … }}",
    "missing": "缺少必填项",
    "time_parsing": "「{value}」不是时间：时间格式应为 时:分，例如 09:00",
    "time_type": "「{value}」不是时间：时间格式应为 时:分，例如 09:00",
    "int_type": "「{value}」不是整数",
    "float_type": "「{value}」不是数字",
    "bool_type": "「{value}」应为 true 或 false",
    "string_type": "应为一段文字",
    "finite_number": "「{value}」不是有限的数字",
}


def setting_problem(kind: str, *, value: str, ctx: dict, msg: str) -> str:
    """What is wrong with a setting's value, from pydantic's error type; never pydantic's own English."""
    template = _SETTING_PROBLEMS.get(kind)
    if template is None:
        if kind == "value_error":  # raised by our validators, which explain in Chinese
            reason = msg.removeprefix("Value error, ")
            return f"值「{value}」无效：{reason}" if value else reason
        return f"值「{value}」无效" if value else "值无效"
    try:
        return template.format(value=value, **ctx)
    except (KeyError, IndexError):
        return template.split("，")[0].format(value=value)


_USAGE_HINT = "用 python -m bot -h 查看全部命令，每个命令加 -h 查看说明和示例。"

CLI: dict[str, str] = {
    # argparse
    "usage_prefix": "用法：",
    "usage_error": "错误：{message}\n（{prog} -h 查看说明和示例）",
    "group_positionals": "参数",
    "group_options": "选项",
    "group_commands": "命令",
    "group_actions": "操作",
    "help_help": "显示本说明并退出",
    "metavar_command": "命令",
    "metavar_action": "操作",
    "metavar_env_file": "ENV文件",
    "metavar_roster": "名册文件",
    "metavar_sheet": "工作表",
    "metavar_percent": "百分比",
    "metavar_csv": "CSV文件",
    "metavar_folder": "文件夹",
    "metavar_number": "编号",
    "metavar_telegram_id": "TelegramID",
    "metavar_role": "角色",
    "metavar_name": "名称",
    "arg_problem": "参数 {name}：{problem}",
    "arg_required": "缺少必需的参数：{names}",
    "arg_one_required": "必须指定以下选项之一：{names}",
    "arg_unrecognized": "无法识别的参数：{names}",
    "arg_invalid_choice": "没有「{value}」这个选项{hint}（可选：{choices}）",
    "arg_did_you_mean": "，您是不是要输入：{name}",
    "arg_choices": "，可选：{choices}",
    "arg_invalid_value": "「{value}」不是有效的{kind}",
    "arg_expected_one": "需要跟一个值",
    "arg_expected_some": "至少需要一个值",
    "arg_not_allowed_with": "不能与 {other} 同时使用",
    "arg_ambiguous": "选项 {option} 不明确，可能是：{matches}",
    "arg_ignored_value": "这个选项不需要值：{value}",
    "arg_bad_telegram_id": "「{value}」不是 Telegram 用户 ID（应为纯数字，如 123456789；查法见 README）",
    "arg_bad_share": "「{value}」应为 0 到 100 之间的百分比，如 20",
    "arg_bad_role": "「{value}」不是可授予的角色；目前只有 协调员（coordinator），可以省略不写",
    "arg_bad_level": "「{value}」不是层级，应为 全国/省/市/县 之一",
    # help: descriptions and examples, one per command (remind, report, tally and cards have theirs below)
    "desc_main": (
        "连心桥 — 政协委员联系界别群众的 Telegram 机器人。设置读自项目文件夹下的 .env（见 .env.example）"
        "和同名环境变量；LIANXIN_HOME 或 --env-file 可指定另一处。"
    ),
    "help_env_file": "使用这个 .env 文件（相对的 SQLite 路径以它所在的文件夹为准）",
    "epilog_main": (
        "示例：\n"
        "  python -m bot members import 名册.xlsx --dry-run   先看导入会改变什么\n"
        "  python -m bot members invites --out 邀请码.csv --qr-dir 二维码/\n"
        "  python -m bot sectors list                           列出界别名称\n"
        "  python -m bot --env-file /srv/lianxin/.env run       用另一处的设置启动机器人\n"
        + _USAGE_HINT
    ),
    "help_run": "启动机器人（默认长轮询；设置了 WEBHOOK_URL 时以 webhook 方式运行）",
    "epilog_run": "示例：\n  python -m bot run\n  make run            （同上，并先安装依赖）",
    "help_db": "数据库维护",
    "epilog_db": (
        "示例：\n  python -m bot db upgrade\n  python -m bot db backup --out 备份/连心桥.db\n"
        "  python -m bot db restore 备份/连心桥.db"
    ),
    "help_db_upgrade": "把数据库结构升级到最新（机器人和每个命令启动时也会自动执行）",
    "epilog_db_upgrade": "示例：\n  python -m bot db upgrade",
    "help_members": "委员名册、邀请码、解除绑定",
    "epilog_members": (
        "示例：\n  python -m bot members import 名册.xlsx --dry-run\n  python -m bot members list --unbound\n"
        "  python -m bot members invites --out 邀请码.csv\n  python -m bot members revoke GS0001"
    ),
    "help_import": "导入委员名册（CSV 或 XLSX；以“编号”为准，重复导入不会重复创建；有一行出错则整个文件不导入）",
    "epilog_import": (
        "示例：\n"
        "  python -m bot members import 名册.xlsx --dry-run              只显示会改变什么\n"
        "  python -m bot members import 名册.xlsx                        导入\n"
        "  python -m bot members import 名册.xlsx --sheet 委员名单        指定工作表\n"
        "  python -m bot members import 名册.csv --deactivate-missing     停用文件中没有的委员\n"
        "文件中没有的列不会改动任何人的该项；只有存在的列里的空单元格才会清空："
        "活动组、地区、手机、联系点（由聊天添加的联系点不受影响），层级为空则按“省”。"
        "表头可在前 10 行内（上方可以有标题行）。"
    ),
    "import_columns_title": "可识别的列（括号内为同样可用的列名）：",
    "import_column_line": "  {name}（{aliases}）— {meaning}",
    "import_column_number": "必需，每位委员唯一",
    "import_column_name": "必需",
    "import_column_group": "界别活动组，如 第1界别活动组",
    "import_column_sector": "必需，全称、简称或常用写法，见 python -m bot sectors list",
    "import_column_level": "全国/省/市/县，空为省",
    "import_column_region": "如 甘肃省/兰州市",
    "import_column_phone": "大陆手机号",
    "import_column_contact_points": "1–3 个，用 ; 或 、 分隔",
    "import_lookalikes": "以下列名不会被猜测，会提示您改成标准列名：{names}",
    "help_import_file": "名册文件 .csv / .xlsx（UTF-8、带 BOM 的 UTF-8 或 GB18030）",
    "help_dry_run": "只显示会发生的变化（逐人逐项），不写入数据库",
    "help_sheet": "XLSX 中要读的工作表（名称或从 1 开始的序号）；默认取第一个有表头的工作表",
    "help_deactivate_missing": "把文件中没有的在册委员标记为停用（不删除，重新出现时恢复）",
    "help_max_deactivate_share": "停用人数超过在册委员的这个百分比时拒绝执行（默认 20）",
    "help_force": "即使停用人数超过上限也执行",
    "help_members_list": "列出委员及绑定情况",
    "epilog_members_list": (
        "示例：\n  python -m bot members list\n  python -m bot members list --unbound --out 未绑定委员.xlsx\n"
        "  python -m bot members list --out 委员名单.csv     （带 BOM 的 UTF-8，Windows 的 Excel 直接打开不乱码）"
    ),
    "help_unbound": "只列出尚未绑定 Telegram 的在册委员",
    "help_invites": "为尚未绑定的委员生成一次性邀请码和链接（已有未过期邀请码的委员默认跳过）",
    "epilog_invites": (
        "示例：\n"
        "  python -m bot members invites --out 邀请码.csv --qr-dir 二维码/\n"
        "  python -m bot members invites --member GS0001 --member GS0002\n"
        "  python -m bot members invites --member GS0001 --replace      作废旧码，重新生成\n"
        "邀请码只保存其摘要，无法再次显示：请妥善保存输出文件。设置 BOT_USERNAME 后生成时无需联网。"
    ),
    "help_out": "把 编号,姓名,邀请码,链接,有效期至 写入这个新的 .csv 文件（默认打印到屏幕）",
    "help_qr_dir": "为每位委员在此文件夹生成可打印的邀请单 PNG（姓名、编号、有效期、二维码；文件名如 邀请_GS0001_陆勇.png）",
    "help_member": "只为这位委员生成（可重复）",
    "help_replace": "已有未过期邀请码的委员也重新生成，并作废其旧邀请码",
    "help_revoke": "解除委员的 Telegram 绑定，并作废其未使用的邀请码",
    "epilog_revoke": "示例：\n  python -m bot members revoke GS0001",
    "help_roles": "协调员权限",
    "epilog_roles": (
        "示例：\n  python -m bot roles grant 123456789 --group 第1界别活动组\n  python -m bot roles list\n"
        "  python -m bot roles revoke 123456789"
    ),
    "help_grant": "授予协调员权限，范围为一个活动组、界别或地区（含下级地区）",
    "epilog_grant": (
        "示例：\n"
        "  python -m bot roles grant 123456789 --group 第1界别活动组\n"
        "  python -m bot roles grant 123456789 --group 第1界别活动组 --level 县 --committee-region 秦州区\n"
        "  python -m bot roles grant 123456789 --sector 民进\n"
        "  python -m bot roles grant 123456789 --region 兰州市        唯一时可只写最后一级\n"
        "活动组只在一个委员会（层级+地区）中出现时自动记下该委员会；在多个委员会中都有时必须用 "
        "--level 和 --committee-region 指明。\n"
        "名称可用 python -m bot groups list / sectors list / regions list 查看。"
    ),
    "help_telegram_id": "对方的 Telegram 用户 ID（纯数字；查法见 README）",
    "help_role": "角色，可省略：协调员（coordinator）",
    "help_group": "活动组名称，如 第1界别活动组",
    "help_sector": "界别全称、简称或常用写法，如 民进、全国妇联",
    "help_region": "地区路径，如 甘肃省/兰州市；唯一时可只写 兰州市",
    "metavar_level": "层级",
    "help_level": "仅用于 --group：活动组所属委员会的层级（全国/省/市/县，与名册的“层级”列相同）",
    "help_committee_region": (
        "仅用于 --group：活动组所属委员会的地区（与名册的“地区”列相同，唯一时可只写最后一级；"
        "名册中地区为空的委员写 无）"
    ),
    "help_roles_revoke": "收回某人的全部协调员权限",
    "epilog_roles_revoke": "示例：\n  python -m bot roles revoke 123456789",
    "help_roles_list": "列出全部协调员权限",
    "epilog_roles_list": "示例：\n  python -m bot roles list",
    "help_sectors": "界别名称",
    "epilog_sectors": "示例：\n  python -m bot sectors list",
    "help_sectors_list": "列出全部界别：全称、简称、在册委员人数，以及也可使用的其他写法（导入名册和授权时都认）",
    "epilog_sectors_list": "示例：\n  python -m bot sectors list",
    "help_groups": "活动组名称",
    "epilog_groups": "示例：\n  python -m bot groups list",
    "help_groups_list": "列出名册中的全部活动组及在册委员人数",
    "epilog_groups_list": "示例：\n  python -m bot groups list",
    "help_regions": "地区名称",
    "epilog_regions": "示例：\n  python -m bot regions list",
    "help_regions_list": "列出名册中的全部地区及在册委员人数（含下级地区）",
    "epilog_regions_list": "示例：\n  python -m bot regions list",
    # settings
    "setting_line": "配置项 {name} 有误：{problem}。正确示例：{example}",
    "setting_line_plain": "配置项 {name} 有误：{problem}。",
    "setting_item": "第 {index} 项 {key} ",
    "setting_json_invalid": "不是有效的 JSON（注意用英文双引号和逗号，整段写在一行）",
    "setting_admin_ids": "「{part}」不是 Telegram 用户 ID（应为数字，多个用逗号分隔）",
    "setting_timezone": "「{value}」不是已知的时区",
    "setting_log_level": "「{value}」不是日志级别，应为 {choices} 之一",
    "setting_database_url": "不是支持的数据库地址（只支持 SQLite 和 PostgreSQL）",
    "setting_bot_proxy_url": "不是有效的代理地址（应以 {schemes} 开头，并写明主机和端口）",
    "setting_api_url": "应以 http:// 或 https:// 开头",
    "setting_bot_username": "应为机器人的用户名（字母开头，5–32 个字母、数字或 _，不带 @）",
    "setting_bot_token": (
        "不像 @BotFather 给的令牌：应为“数字:字符串”，冒号前至少 {digits} 位数字，"
        "冒号后至少 {tail} 个字母、数字、_ 或 -"
    ),
    "setting_activity_kinds_unique": "至少要有一种活动类型，且 code 不能重复",
    "setting_webhook_secret": "设置了 WEBHOOK_URL 时必须设置，且为 16–256 个字母、数字、_ 或 -",
    "env_file_missing": "找不到 --env-file 指定的文件：{path}",
    # database
    "database_in_use": "数据库：{url}（{source}）",
    "settings_from": "设置来自 {path}",
    "settings_no_env": "没有读取 .env，只用环境变量",
    "home_missing": "LIANXIN_HOME 指向的文件夹不存在：{path}（请检查拼写，或先建好该文件夹并放入 .env）",
    "database_unparsable": "（无法解析的 DATABASE_URL）",
    "database_missing": (
        "数据库文件不存在：{path}。还没有导入过名册？或 DATABASE_URL / LIANXIN_HOME 指向了别处。"
    ),
    "database_unreachable": "无法使用数据库 {url}：{reason}（请检查 .env 中的 DATABASE_URL）",
    "db_reason_password": "用户名或密码不对",
    "db_reason_no_database": "数据库不存在，请先创建",
    "db_reason_refused": "连不上数据库服务器，请确认 PostgreSQL 已启动、主机和端口正确",
    "db_reason_host": "找不到数据库服务器的主机名",
    "db_reason_timeout": "连接数据库超时",
    "db_reason_sqlite_file": "无法打开 SQLite 文件，请检查文件夹是否存在、是否有写权限",
    "db_reason_sqlite_readonly": "没有写入权限",
    "db_reason_other": "{error}",
    "db_up_to_date": "数据库已是最新结构。",
    "seeded_sectors": "首次使用：已写入 {count} 个界别。",
    # run
    "no_token": (
        "未设置 BOT_TOKEN。请在项目文件夹的 .env 文件中写入一行 BOT_TOKEN=<从 @BotFather 获得的令牌>"
        "（可参照 .env.example），或设置同名环境变量。"
    ),
    "bad_token": "Telegram 拒绝了 BOT_TOKEN：请检查 .env 中的令牌是否完整、是否已在 @BotFather 处重置。",
    "telegram_unreachable": (
        "无法连接 Telegram（{host}）：{reason}。请检查本机网络和防火墙；Telegram 被屏蔽时，"
        "在 .env 设置 BOT_PROXY_URL（代理），或用 BOT_API_BASE_URL 指向自建的 Bot API 服务器。"
    ),
    "telegram_error": "Telegram 返回错误：{reason}",
    "bot_stopped": "机器人意外停止：{reason}（设置 LOG_LEVEL=DEBUG 可看到详细信息）",
    "interrupted": "已中断：没有提交的改动都已撤销。",
    "unexpected_error": "出错了：{reason}。没有提交的改动都已撤销；设置 LOG_LEVEL=DEBUG 可看到详细信息。",
    "log_conflict": (
        "另一个进程正在用同一个 BOT_TOKEN 接收消息（Telegram 只允许一个）：请停掉多余的机器人进程。稍后自动重试。"
    ),
    "log_network_retry": "与 Telegram 的连接中断（{error}），稍后自动重试。",
    # why a connection failed (bot/logs.py: network_reason); the library's own error only at LOG_LEVEL=DEBUG
    "net_flood": "Telegram 要求放慢发送速度",
    "net_server": "Telegram 服务器暂时出错",
    "net_proxy": "代理服务器连不上或拒绝转发，请检查 BOT_PROXY_URL",
    "net_timeout": "连接超时",
    "net_tls": "加密连接（TLS）失败，可能被拦截，或服务器证书不受信任",
    "net_dns": "找不到服务器（域名解析失败）",
    "net_refused": "连接被拒绝，对方没有在这个地址和端口上提供服务",
    "net_dropped": "连接中途断开",
    "net_http": "服务器返回错误 {status}",
    "net_other": "网络错误",
    "net_detail": "{reason}；{error}",
    "not_bot_api_404": (
        "BOT_API_BASE_URL（{url}）回答“找不到”（404）：这个地址不是 Telegram Bot API。请检查 .env 中的 "
        "BOT_API_BASE_URL：官方地址是 https://api.telegram.org/bot，自建的 Bot API 服务器也应以 /bot 结尾。"
    ),
    "not_bot_api_page": (
        "BOT_API_BASE_URL（{url}）回答的是网页，不是 Telegram Bot API 的数据：请检查 .env 中的 BOT_API_BASE_URL"
        "（官方地址是 https://api.telegram.org/bot），或是否有代理、网关拦截了请求。"
    ),
    # members import
    "progress_import": "导入",
    "progress_unit": "行",
    "roster_cannot_import": "名册无法导入（没有写入任何数据）：{reason}",
    "roster_encoding": "无法识别文件编码（支持 UTF-8、带 BOM 的 UTF-8 和 GB18030）",
    "roster_is_folder": "{path} 是一个文件夹，请给出{noun}文件，如 {path}/{noun}.xlsx",
    "roster_not_found": "找不到文件：{path}（在文件夹 {folder} 中没有这个文件{hint}）",
    "roster_folder_not_found": "找不到文件：{path}（文件夹 {folder} 不存在）",
    "roster_is_csv": "这个文件实际上是文本（CSV）格式，请把扩展名改为 .csv 后再导入",
    "roster_is_xlsx": "这个文件实际上是 Excel（.xlsx）格式，请把扩展名改为 .xlsx 后再导入",
    "roster_is_xls": "这个文件实际上是旧版 Excel（.xls）格式：请在 Excel 或 WPS 中打开，另存为 .xlsx 后再导入",
    "roster_is_html": "这个文件实际上是网页（HTML）格式，不是 Excel 文件：请在 Excel 或 WPS 中打开，另存为 .xlsx 后再导入",
    "roster_wrong_suffix": "只支持 .csv 和 .xlsx 文件，{path} 是 {suffix}；请在 Excel 或 WPS 中“另存为” .xlsx 或 .csv",
    "no_suffix": "没有扩展名的文件",
    "roster_sheet_not_xlsx": "--sheet 只用于 .xlsx 文件",
    "roster_bad_xlsx": "无法读取这个 Excel 文件：它可能已损坏。请在 Excel 或 WPS 中打开，重新另存为 .xlsx 后再导入",
    "roster_empty": "文件是空的",
    "roster_empty_sheet": "工作表「{sheet}」是空的",
    "roster_no_header": "在前 {rows} 行中没有找到表头，缺少必需的列：{required}",
    "roster_no_sheet_with_header": (
        "在工作表 {sheets} 的前 {rows} 行中都没有找到含 {required} 的表头；可用 --sheet 指定工作表"
    ),
    "roster_no_such_sheet": "没有名为「{sheet}」的工作表；文件中的工作表：{sheets}",
    "roster_missing_columns": "{where}的表头缺少必需的列：{columns}",
    "roster_lookalike": (
        "{where}的表头中有无法识别的列：{pairs} 请把列名改成标准名称后再导入"
        "（缺少的必需列：{missing}；可识别的列见 {command} import -h）"
    ),
    "roster_lookalike_optional": (
        "{where}的表头中有无法识别的列：{pairs} 请把列名改成标准名称后再导入（可识别的列见 {command} import -h）"
    ),
    "where_sheet_row": "工作表「{sheet}」第 {row} 行",
    "where_row": "第 {row} 行",
    "file_noun_members": "名册",
    "import_read_sheet": "读取：工作表「{sheet}」，第 {row} 行为表头。",
    "import_read_csv": "读取：第 {row} 行为表头。",
    "import_ignored_columns": "未识别的列（已忽略）：{columns}",
    "import_absent_columns": "文件中没有这些列，委员的这几项保持不变：{columns}",
    "import_rows_bad": "名册有 {rows} 行有误，整个文件未导入（没有写入任何数据）：",
    "import_row_line": "  第 {row} 行：{reason}",
    "import_more_errors": "  …… 另有 {count} 处错误",
    "row_missing_number": "缺少编号",
    "row_number_too_long": "编号过长（最多 32 个字符）",
    "row_duplicate_number": "编号 {number} 与第 {first} 行重复",
    "row_missing_name": "缺少姓名",
    "row_name_too_long": "姓名过长（最多 64 个字符）",
    "row_missing_sector": "缺少界别",
    "row_unknown_sector": "未知界别「{value}」",
    "row_unknown_level": "未知层级「{value}」（应为 全国/省/市/县）",
    "row_bad_phone": "手机号格式不正确「{value}」",
    "row_region_too_long": "地区过长",
    "row_too_many_points": "联系点最多 {max} 个，这里有 {count} 个",
    "row_point_too_long": "联系点名称过长（最多 128 个字符）",
    "row_group_too_long": "活动组名称过长",
    "did_you_mean": "，您是不是要找：{names}",
    "dry_run_prefix": "【试运行，未写入】",
    "change_created": "{prefix}新增 {number} {name}",
    "change_updated": "{prefix}更新 {number} {name}：{fields}",
    "change_field": "{field} {old} → {new}",
    "change_more": "…… 另有 {count} 位委员有变化",
    "change_more_missing": "…… 另有 {count} 人",
    "empty_value": "（空）",
    "field_active": "状态",
    "state_active": "在册",
    "state_inactive": "已停用",
    "state_bound": "已绑定",
    "state_unbound": "未绑定",
    "missing_header": "文件中没有的在册委员 {count} 人（{verb}）：",
    "missing_would_go": "将被停用",
    "missing_kept": "保留，未停用",
    "missing_line": "  {number} {name}",
    "refuse_no_rows": (
        "文件中没有任何委员数据行，拒绝停用全部 {missing} 位在册委员（没有写入任何数据）。请检查是否选错了文件或工作表。"
    ),
    "refuse_share": (
        "将停用 {missing} 人，占在册委员 {active} 人的 {share}%，超过上限 {limit}%，已拒绝（没有写入任何数据）。"
        "请先用 --dry-run 核对名单；确认无误再加 --force。"
    ),
    "dry_run_would_refuse": "注意：正式导入时会被拒绝——{reason}",
    "summary_deactivated": "，已停用 {count} 人",
    "summary_kept": "（未停用，可加 --deactivate-missing）",
    "region_hint": "请核对：新地区“{new}”与已有的“{known}”只差一两个字，是不是写错了？写错的话请改正文件后重新导入。",
    # the chat's import (handlers/roster_upload.py) never deactivates
    "summary_kept_chat": "（保留，未停用）",
    "import_summary": (
        "{prefix}共 {rows} 行：新增 {created}，更新 {updated}（其中恢复启用 {reactivated}），未变 {unchanged}；"
        "文件中没有的在册委员 {missing} 人{tail}；新活动组 {groups}，新地区 {regions}。"
    ),
    # members invites
    "out_is_folder": "--out 应为文件名，{path} 是一个文件夹；请写成如 {path}/邀请码.csv。没有生成任何邀请码。",
    "out_exists": (
        "文件 {path} 已存在；为免覆盖其中之前的邀请码（它们无法再次显示），请换一个文件名。没有生成任何邀请码。"
    ),
    "out_not_csv": "--out 应为 .csv 文件，如 邀请码.csv（现在是 {path}）。没有生成任何邀请码。",
    "qr_not_folder": "--qr-dir 应为文件夹，{path} 是一个文件。没有生成任何邀请码。",
    "path_parent_is_file": "{option} 的位置不对：{path} 上层有同名的文件。没有生成任何邀请码。",
    "path_not_writable": "{option} 的文件夹 {path} 无法写入（没有权限？）。没有生成任何邀请码。",
    "invites_need_username": "生成邀请链接需要机器人的用户名：请在 .env 中设置 BOT_USERNAME（或 BOT_TOKEN）。",
    "invites_username_offline": (
        "无法连接 Telegram 取得机器人用户名（{reason}）。在 .env 中写上 BOT_USERNAME=<机器人用户名>（不带 @），"
        "生成邀请码就不需要联网。没有生成任何邀请码。"
    ),
    "invites_unknown_members": "无法为以下编号生成邀请码：{numbers}。没有生成任何邀请码。",
    "number_missing": "{number}（没有这个编号）",
    "number_inactive": "{number}（已停用）",
    "number_bound": "{number}（已绑定 Telegram，不需要邀请码）",
    "invites_need_replace": (
        "{numbers} 还有 {codes} 个未过期的邀请码。要作废旧码重新生成，请加 --replace。没有生成任何邀请码。"
    ),
    "invites_none": "没有需要生成邀请码的委员。",
    "invites_will_replace": "将作废 {members} 位委员的 {codes} 个未过期邀请码，并生成新码。",
    "invites_header": "编号,姓名,邀请码,链接,有效期至",
    "invites_write_failed": "写入邀请码文件失败（{reason}）。没有生成任何邀请码，原有邀请码仍然有效。",
    "invites_commit_failed": "保存邀请码失败（{reason}）。没有生成任何邀请码，原有邀请码仍然有效。",
    "invites_move_failed": "邀请码已生成，但无法把 {temp} 改名为 {target}（{reason}）：请手动改名，不要删除它。",
    "invites_done": "已为 {count} 位委员生成邀请码，有效期 {days} 天（至 {until}）。",
    "invites_replaced": "已作废 {members} 位委员的 {codes} 个旧邀请码。",
    "invites_skipped": "另有 {count} 位委员已有未过期的邀请码，未重新生成（要作废旧码重新生成，加 --replace）。",
    "invites_written": "邀请码已写入 {path}。",
    "invites_qr_written": "{count} 个二维码已写入 {path}。",
    # members cards
    "cards_done": "已为 {count} 位委员生成“找我反映”卡片（PNG），并更新链接表 links.csv，在 {path}。",
    "cards_rotated": "已更换这些委员的链接：之前印出的卡片不再直接交给该委员（仍可提交诉求，由系统分派）。",
    "cards_header": "编号,姓名,链接",
    "cards_links_unreadable": (
        "{path} 不是本命令写的链接表（第一行应为 编号,姓名,链接），无法把这些委员的链接合并进去："
        "请把它移走，或换一个文件夹。没有生成任何卡片。"
    ),
    "cards_unknown_members": "无法为以下编号生成卡片：{numbers}。没有生成任何卡片。",
    "file_card": "找我反映_{number}_{name}.png",
    "file_invite": "邀请_{number}_{name}.png",
    "slip_title": "委员绑定邀请",
    "slip_member": "{name} 委员",
    "slip_number": "编号 {number}",
    "slip_until": "有效期至 {until}",
    "slip_warning": "仅限本人绑定 · 请勿转发或张贴",
    "slip_instructions": "请委员本人用手机扫码，在 Telegram 中打开“连心桥”完成绑定\n二维码只能用一次；过期请向政协办公室重新领取",
    "card_title": "找我反映",
    "card_member": "{name} 委员",
    "card_instructions": "用手机扫描二维码，在 Telegram 打开“连心桥”\n点“我要反映”，您的问题会直接交给我\n办理进度随时可查",
    "help_cards": (
        "为委员生成可打印的“找我反映”卡片（文件名如 找我反映_GS0001_陆勇.png）：姓名、界别、二维码（个人链接），"
        "以及链接表 links.csv"
    ),
    "epilog_cards": (
        "示例：\n  python -m bot members cards --out-dir 卡片/\n"
        "  python -m bot members cards --out-dir 卡片/ --member GS0001 --rotate   （卡片遗失时更换链接）"
    ),
    "help_cards_out_dir": "卡片输出文件夹（不存在会新建；同名文件会被更新；用 --member 时只更新 links.csv 中这些委员的行）",
    "help_cards_rotate": "更换链接：旧卡片不再直接交给该委员",
    # members list / revoke
    "members_list_header": "编号\t姓名\t界别\t活动组\t层级\t地区\t状态",
    "members_count": "共 {count} 人",
    "members_written": "委员名单已写入 {path}（{count} 人）。",
    "members_sheet_title": "委员名单",
    "members_sheet_unbound": "仅未绑定的在册委员",
    "help_members_list_out": "把名单写入这个 .csv 或 .xlsx 文件（用 Excel、WPS 打开；没写扩展名时存为 .xlsx），不打印到屏幕",
    "metavar_table": "表格文件",
    "member_not_found": "没有编号为 {number} 的委员（python -m bot members list 可查看全部）。",
    "revoke_nothing": "{number} {name} 尚未绑定 Telegram，也没有未使用的邀请码，无需解除；没有做任何改动。",
    "revoke_unbound": "已解除 {number} {name} 与 Telegram 账号 {telegram_id} 的绑定，并作废其 {codes} 个未使用的邀请码。",
    "revoke_codes_only": "{number} {name} 尚未绑定 Telegram（无需解除）；已作废其 {codes} 个未使用的邀请码。",
    # roles
    "roles_list_header": "TelegramID\t角色\t范围\t名称\t委员会",
    "roles_none": "还没有授予任何协调员权限。",
    "roles_revoke_none": "{telegram_id} 没有任何协调员权限，没有做任何改动。",
    "roles_revoked": "已收回 {telegram_id} 的 {count} 项协调员权限。",
    "scope_not_found": "未知{kind}「{value}」{hint}。用 python -m bot {command} 查看全部名称。",
    "scope_ambiguous": "「{value}」对应多个{kind}：{candidates}；请写完整路径。",
    "grant_done": "已授予 {telegram_id} 协调员权限（{kind}：{value}）。",
    "grant_exists": "{telegram_id} 已有该协调员权限（{kind}：{value}），无需重复授予。",
    "grant_committee_not_group": "--level 和 --committee-region 只用于 --group（指明活动组属于哪个委员会），没有做任何改动。",
    "grant_committee_needed": (
        "活动组「{value}」在多个委员会中都有：{candidates}；请用 --level 和 --committee-region 指明是哪一个，"
        "例如 --level {level} --committee-region {region}。没有做任何改动。"
    ),
    "grant_committee_no_match": "活动组「{value}」没有符合所给层级/地区的委员会，它所在的委员会：{candidates}。没有做任何改动。",
    "grant_committee_no_members": "活动组「{value}」在名册中还没有委员，无法确定它属于哪个委员会；请先导入名册。没有做任何改动。",
    "grant_fixed": "已为 {telegram_id} 的活动组权限「{value}」指明委员会：{committee}（此前未指明，不覆盖任何委员）。",
    "roles_list_unresolved": "⚠ 未指明（活动组在多个委员会中都有，暂不覆盖任何委员）",
    "roles_unresolved_note": (
        "⚠ 有 {count} 项活动组权限未指明委员会，暂不覆盖任何委员；请用 python -m bot roles grant TelegramID "
        "--group 名称 --level 层级 --committee-region 地区 指明。"
    ),
    # names
    "sectors_header": "界别\t简称\t在册委员\t也可写作",
    "groups_header": "活动组\t在册委员\t所在委员会（层级·地区 在册委员）",
    "groups_none": "还没有活动组：导入含“活动组”列的名册后才有。",
    "regions_header": "地区\t在册委员（含下级）",
    "regions_none": "还没有地区：导入含“地区”列的名册后才有。",
    # remind
    "help_remind": "预览或手动发送履职提醒、季度结束名单（每位委员每次只发一次）",
    "epilog_remind": (
        "示例：\n  python -m bot remind --occasion mid --quarter 2026Q4 --dry-run   （谁会收到什么、为什么）\n"
        "  python -m bot remind --occasion late --quarter 2026Q4 --send     （写入发件箱，由运行中的机器人发送）"
    ),
    "metavar_occasion": "时机",
    "help_occasion": "mid 季中提醒，late 季末提醒，quarter-end 季度结束后给协调员的名单",
    "metavar_quarter": "季度",
    "help_quarter": "季度，如 2026Q4（也可以写 2026-4 或 2026年第四季度）",
    "help_remind_dry_run": "只显示谁会收到什么、为什么，不写入任何内容",
    "help_remind_send": "写入发件箱，由运行中的机器人发送（已写入的不会重复）",
    # report
    "help_report": "生成季度报告（XLSX 表格，可另存图表 PNG 或 JPG），范围为全部委员",
    "epilog_report": "示例：\n  python -m bot report --quarter 2026Q3 --out 2026Q3季度报告.xlsx --chart 2026Q3.png",
    "metavar_xlsx": "XLSX文件",
    "metavar_png": "图片文件",
    "help_report_out": "写入的 .xlsx 文件（没写扩展名时自动加上 .xlsx）",
    "help_report_chart": "另把图表写入此图片文件：.png 或 .jpg（没写扩展名时存为 .png）",
    # tally: per member and year totals kept on write
    "help_tally": "核对或重建委员年度汇总（统计和提醒读它；每次记录、修改、删除活动时同步更新）",
    "epilog_tally": (
        "示例：\n  python -m bot tally --check     （与活动记录逐项核对，不改任何内容）\n"
        "  python -m bot tally --rebuild   （按活动记录重新计算全部年度汇总）"
    ),
    "help_tally_check": "与活动记录逐项核对，只报告不一致之处，不改任何内容",
    "help_tally_rebuild": "按活动记录重新计算全部年度汇总（一次提交；失败时保持原样）",
    "tally_consistent": "年度汇总与活动记录一致：共核对 {rows} 行（委员 × 年度）。",
    "tally_inconsistent": "年度汇总有 {count} 处与活动记录不一致（共 {rows} 行）：",
    "tally_mismatch_line": "  {year}年 {member}：{columns}",
    "tally_more": "  ……另有 {count} 处未列出",
    "tally_fix_hint": "请运行 python -m bot tally --rebuild 按活动记录重建。",
    "tally_rebuilt": "已按活动记录重建年度汇总：{rows} 行（委员 × 年度）。",
    "tally_rebuild_failed": "重建年度汇总失败（{reason}），年度汇总保持原样。",
    "tally_year_total": "全年",
    "tally_quarter": "第{q}季度",
    "tally_measure_activities": "活动数",
    "tally_measure_people": "人次",
    "tally_measure_points": "积分",
    "tally_measure_verified": "扫码核实人次",
    "tally_measure_last_activity_date": "最近活动日期",
    "tally_unknown_member": "委员ID {member_id}",

    # remind and report: --quarter, and what they print
    "cli_bad_quarter": "看不懂季度「{value}」：请写成 2026Q4（也可以写 2026-4 或 2026年第四季度）",
    "cli_quarter_number": "「{value}」不是季度：一年只有第 1 至第 4 季度，如 2026Q4",
    "cli_remind_header": "{quarter} {occasion}（按 {day} 的数据）：{count} 位委员需要提醒",
    "cli_remind_header_lists": "{quarter} {occasion}（按 {day} 的数据）：{recipients}",
    "cli_remind_header_preview": (
        "{quarter} {occasion}预览：本季度到 {day} 才结束，以下按今天（{today}）的数据；{recipients}"
    ),
    "cli_remind_recipients": "{who}将收到名单",
    "cli_remind_coordinators": "协调员 {count} 人",
    "cli_remind_admins": "管理员 {count} 人",
    "cli_remind_no_recipients": "还没有协调员或管理员，名单无人接收",
    "cli_remind_member": "{number}\t{name}\t{why}\t{state}",
    "cli_remind_coordinator": "{chat_id}\t{role}\t范围内 {count} 位委员本季度无活动\t{state}",
    "cli_remind_unbound": "未绑定，无法发送",
    "cli_remind_will_send": "将发送",
    "cli_remind_why_pace": "{rule}（今年 {people} 人次，应达进度 {expected} 人次）",
    "cli_remind_why_bottom": "{rule}（{points} 分，{peers} 人中）",
    "cli_remind_sent_state": "已写入发件箱（{status}）",
    "cli_remind_done": "已写入发件箱 {new} 条，另有 {existing} 条此前已写入（不会重复发送）。",
    "cli_report_done": "已写入 {path}：{members} 位委员，{activities} 次活动。",
    "cli_report_chart": "图表已写入 {path}",
    "cli_report_bad_out": "无法写入 {path}：{error}",
    # output files named on the command line (report, members list)
    "out_parent_missing": "{parent} 不存在",
    "out_is_a_folder": "这是一个文件夹",
    "out_wrong_suffix": "{option} 的文件 {path} 是 {suffix} 格式，这里只能写成 {allowed} 文件。没有生成任何文件。",
    "out_suffix_added": "{option} 没有写扩展名，文件存为 {path}",
    "out_write_failed": "无法写入 {path}：{error}。没有生成任何文件。",
    # why a file could not be written (bot/cli/common.py: file_reason)
    "file_reason_full": "磁盘空间不足",
    "file_reason_denied": "没有写入权限",
    "file_reason_read_only": "磁盘是只读的",
    "file_reason_missing": "文件夹不存在",
    "file_reason_folder": "同名的是一个文件夹",
    "file_reason_name_long": "文件名太长",
    "file_reason_other": "系统错误（错误号 {errno}）",
}
