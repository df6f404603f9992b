"""`python -m bot shell`: the terminal stand-in for Telegram (plain text, never HTML)."""

from __future__ import annotations

CLI: dict[str, str] = {
    "help_shell": "在终端里试用机器人：不连 Telegram，真实的处理流程和数据库，可切换居民、委员、协调员、管理员身份",
    "epilog_shell": (
        "示例：\n  python -m bot shell                 （临时数据库，已导入示例名册，绑定一位管理员、一位协调员和两位委员）\n"
        "  python -m bot shell --db sqlite+aiosqlite:///data/lianxin.db   （用真实数据库，会写入，慎用）\n"
        "进入后输入 /shell 查看终端命令"
    ),
    "help_shell_db": "使用这个数据库（会真实写入），不用临时数据库",
    "metavar_database_url": "数据库地址",
    "shell_starting": "正在准备试用环境（临时数据库、示例名册、绑定委员）……",
    "shell_real_db": "注意：正在使用真实数据库 {url}，您在终端里的操作都会写入它。",
    "shell_ready": (
        "已就绪。您现在是 {who}。直接输入文字发给机器人；输入按钮前的数字点按钮；/shell 查看终端命令；Ctrl-D 退出。\n"
        "机器人的运行日志写在 {log}"
    ),
    "shell_commands": (
        "终端命令（其余以 / 开头的都发给机器人）：\n"
        "  /as resident N         切换为第 N 位居民（没有就新建）\n"
        "  /as member 编号或姓名    切换为某位委员（未绑定的先自动绑定）\n"
        "  /as coordinator         切换为协调员\n"
        "  /as admin               切换为管理员\n"
        "  /who                    列出已有身份\n"
        "  /contact [手机号]        分享手机号（默认一个示例号码）\n"
        "  /photo 路径              发送图片\n"
        "  /voice 路径 [秒数]        发送语音\n"
        "  /doc 路径                发送文件\n"
        "  /location 纬度 经度       分享位置\n"
        "  /time +3d | +2h | +30m  把时钟往后拨（提醒、期限照常触发）\n"
        "  数字                     点当前消息上对应的按钮；k数字 点键盘按钮\n"
        "  =文字                    把等号后面的内容原样发给机器人（例如 =2 发送数字 2，而不是点 2 号按钮）\n"
        "  /quit                   退出"
    ),
    "shell_who": "{marker} {who}",
    "shell_you_are": "您现在是 {who}。",
    "shell_as_usage": "用法：/as resident 2 ｜ /as member GS0053（或姓名）｜ /as coordinator ｜ /as admin",
    "shell_no_member": "名册中没有编号或姓名为 {number} 的在任委员。",
    "shell_no_coordinator": "这个数据库里没有协调员（可先用 python -m bot roles grant 授权）。",
    "shell_no_button": "没有编号为 {n} 的按钮。要把 {n} 作为文字发给机器人，请输入 ={n}",
    "shell_not_pressable": "按钮「{text}」是链接或小程序，终端里不能点。",
    "shell_file_missing": "找不到文件：{path}",
    "shell_location_usage": "用法：/location 36.06 103.83（纬度 经度）",
    "shell_time_usage": "用法：/time +3d（天 d、小时 h、分钟 m，只能往后拨）",
    "shell_time_now": "现在是 {now}。",
    "shell_voice_usage": "用法：/voice 路径 [秒数]，例如 /voice 录音.ogg 12",
    "shell_bye": "再见。临时数据库已删除。",
    "shell_bye_db": "再见。",
    "shell_toast": "〔提示〕{text}",
    "shell_photo": "〔图片〕",
    "shell_document": "〔文件 {name}〕",
    "shell_voice": "〔语音 {length}〕",
    "shell_audio": "〔音频 {length}〕",
    "shell_edited": "（已修改）",
    "shell_keyboard": "键盘：",
    "shell_to": "→ {who}：",
    "shell_resident": "居民 {name}",
    "shell_member": "{name}委员（{number}）",
    "shell_coordinator": "协调员 {name}",
    "shell_admin": "管理员",
}
