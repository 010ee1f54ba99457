"""Chat templates that lose a system turn, as some real templates do (Gemma-style), and a
model folder that uses one: the embedded model's files linked, only the template changed."""

from __future__ import annotations

from pathlib import Path

# Renders every turn but the system turn: the attack would silently vanish.
DROPPING_TEMPLATE = (
    "{% for message in messages %}{% if message['role'] != 'system' %}"
    "{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>\n' }}"
    "{% endif %}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}"
    "{% endif %}"
)
# Refuses a system turn with an error.
RAISING_TEMPLATE = (
    "{% for message in messages %}{% if message['role'] == 'system' %}"
    "{{ raise_exception('System role not supported') }}{% endif %}"
    "{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>\n' }}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)


def model_with_template(model_path: Path, folder: Path, template: str | None) -> Path:
    """`folder` holding the embedded model with `template` as its chat template (None: no
    chat template at all); weights and config are links to the real files."""
    folder.mkdir(parents=True, exist_ok=True)
    for item in Path(model_path).iterdir():
        if item.name != "chat_template.jinja":  # the prepared folder keeps its template there
            (folder / item.name).symlink_to(item)
    if template is not None:
        (folder / "chat_template.jinja").write_text(template, encoding="utf-8")
    return folder
