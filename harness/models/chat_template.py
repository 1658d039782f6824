r"""A Qwen3-style chat template for the tiny local model.

Same turn layout as Qwen3 (`<|im_start|>role\n...<|im_end|>`), the `enable_thinking`
switch, and `{% generation %}` markers around assistant replies so TRL can compute the
assistant-only loss mask (the reply and its `<|im_end|>` are trained, nothing else).
"""

QWEN3_STYLE_TEMPLATE = (
    "{%- for message in messages %}"
    "{%- if message.role == 'assistant' %}"
    "{{- '<|im_start|>assistant\\n' }}"
    "{%- generation %}{{- message.content + '<|im_end|>' }}{%- endgeneration %}"
    "{{- '\\n' }}"
    "{%- else %}"
    "{{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>\\n' }}"
    "{%- endif %}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}"
    "{{- '<|im_start|>assistant\\n' }}"
    "{%- if enable_thinking is defined and enable_thinking is false %}"
    "{{- '<think>\\n\\n</think>\\n\\n' }}"
    "{%- endif %}"
    "{%- endif %}"
)
