"""Voice notes: taking them in forms and relays, playing them back, their limits, and the files kept on disk."""

from __future__ import annotations

TEXTS: dict[str, str] = {
    "voice_hint": "不方便打字的，可以按住🎤直接说，发语音（每条不超过 {high}，最多 {count} 条）。",
    "voice_added": "🎤 已收到第 {count}/{high} 条语音（{length}）。可以接着说，也可以再打几个字补充；说完请点“完成”。",
    "voice_full": "最多 {high} 条语音，这条没有保存。请点“完成”继续。",
    "voice_too_long": "这条语音有 {length}，超过了 {high} 的上限，没有保存。请分成几段短一些的语音再发。",
    "voice_too_big": "这个文件超过 {high} MB，机器人收不到。请发短一些的语音。",
    "voice_summary": "🎤 语音 {count} 条（共 {total}）",
    "voice_card_line": "\n{summary}",
    "voice_playback": "🎤 语音 {n}/{total}（{length}）",
    "voice_case_caption": "诉求 {number} · 🎤 语音 {n}/{total}（{length}）",
    "voice_only": "（语音，请收听）",
    "voice_in_relay": "🎤 语音（{length}）",
    "voice_timeline_line": "🎤 {who}语音（{length}）",
    "voice_from_resident": "群众",
    "voice_from_member": "委员",
    "voice_list_mark": " 🎤{count}条 {total}",
    "case_voices_too_many": "最多附 {high} 条语音。",
    "problem_voices_too_many": "最多只能附 {high} 条语音。",
    "log_voice_hint": "也可以先发语音说明（每条不超过 {high}），再打一句至少 {low} 个字的标题。",
    "log_voice_added": "🎤 已附语音 {count} 条（共 {length}），作为佐证一并保存。报告需要文字：请再输入一句话的标题（至少 {low} 个字）。",
}

CLI: dict[str, str] = {
    "help_media": "语音和照片的存档（保存在 MEDIA_DIR）：检查缺失并重新下载，或导出某件诉求的全部文件",
    "epilog_media": "示例：\n  python -m bot media check\n  python -m bot media export --case 2026-000123 --out 归档",
    "help_media_check": "列出还没保存到磁盘的照片和语音（未下载、下载失败或被删除），并立即重新下载",
    "epilog_media_check": "示例：python -m bot media check（全部在盘上时退出码为 0，仍有缺失时为 1）",
    "help_media_export": "把一件诉求的照片和语音复制到指定文件夹，便于归档",
    "epilog_media_export": "示例：python -m bot media export --case 2026-000123 --out 归档/2026-000123",
    "help_media_case": "诉求编号，如 2026-000123",
    "help_media_out": "复制到哪个文件夹（没有会自动建立）",
    "media_all_kept": "全部照片和语音都已保存在 {path}。",
    "media_missing": "有 {count} 个文件不在盘上，正在重新下载：",
    "media_missing_line": "  {owner} 第 {seq} 个（{kind}，{status}）{error}",
    "media_status_pending": "等待下载",
    "media_status_fetching": "正在下载",
    "media_status_failed": "下载失败",
    "media_status_gone": "已被删除",
    "media_fetched": "已下载 {count} 个，仍缺 {left} 个。",
    "media_case_unknown": "没有编号为 {number} 的诉求件。",
    "media_exported": "诉求 {number}：已复制 {count} 个文件到 {path}。",
}
