<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN" sourcelanguage="en">
<context>
    <name>Banner</name>
    <message>
        <source>Status message</source>
        <translation>状态信息</translation>
    </message>
</context>
<context>
    <name>Controller</name>
    <message>
        <source>Something went wrong inside Mergesmith ({0}: {1}). This is a bug; the details are in the log, please include them when you report it.</source>
        <translation>Mergesmith 内部出错（{0}：{1}）。这是一个程序缺陷；详细信息在日志中，报告问题时请附上。</translation>
    </message>
    <message>
        <source>an infinite</source>
        <translation>无穷大</translation>
    </message>
    <message>
        <source>{0} ulp</source>
        <translation>{0} ulp</translation>
    </message>
    <message>
        <source>; the largest difference is {0} (in {1}, accepted up to {2})</source>
        <translation>；最大差异为 {0}（在 {1} 中，允许上限 {2}）</translation>
    </message>
    <message>
        <source>Verified: {0} merged tensor(s) recomputed from the inputs match{1}; {2} tensor(s) of a variant verify does not recompute (DoRA, lora_bias, trainable tokens) were not checked.</source>
        <translation>校验通过：从输入重新计算的 {0} 个合并张量一致{1}；另有 {2} 个张量属于校验不重新计算的变体（DoRA、lora_bias、可训练词元），未作核对。</translation>
    </message>
    <message>
        <source>Verified: {0} merged tensor(s) recomputed from the inputs match{1}. The merge is right.</source>
        <translation>校验通过：从输入重新计算的 {0} 个合并张量一致{1}。合并结果正确。</translation>
    </message>
    <message>
        <source>The merge does NOT match its inputs{0}. {1} Details are in the log.</source>
        <translation>合并结果与输入不一致{0}。{1} 详细信息在日志中。</translation>
    </message>
    <message>
        <source>Choose a folder to inspect.</source>
        <translation>请选择要检查的文件夹。</translation>
    </message>
    <message>
        <source>Inspecting {0}</source>
        <translation>正在检查 {0}</translation>
    </message>
    <message>
        <source>Inspected {0}</source>
        <translation>已检查 {0}</translation>
    </message>
    <message>
        <source>Note: {0}</source>
        <translation>注意：{0}</translation>
    </message>
    <message>
        <source>{0}: {1}</source>
        <translation>{0}：{1}</translation>
    </message>
    <message>
        <source>{0} problem(s) found; see the list.</source>
        <translation>发现 {0} 个问题，见下方列表。</translation>
    </message>
    <message>
        <source>no problems found.</source>
        <translation>未发现问题。</translation>
    </message>
    <message>
        <source>Fixing {0}</source>
        <translation>正在修复 {0}</translation>
    </message>
    <message>
        <source>, copying from {0}</source>
        <translation>，从 {0} 复制文件</translation>
    </message>
    <message>
        <source>Fixed: {0}</source>
        <translation>已修复：{0}</translation>
    </message>
    <message>
        <source>Fixed {0} thing(s) into {1}</source>
        <translation>已修复 {0} 处，写入 {1}</translation>
    </message>
    <message>
        <source>Verifying {0} against {1} and {2}</source>
        <translation>正在以 {1} 和 {2} 校验 {0}</translation>
    </message>
    <message>
        <source>Cancelled; the check stopped.</source>
        <translation>已取消，校验已停止。</translation>
    </message>
    <message>
        <source>Verifying {0}</source>
        <translation>正在校验 {0}</translation>
    </message>
    <message>
        <source>Cancelling…</source>
        <translation>正在取消…</translation>
    </message>
    <message>
        <source>Choose a training output and its base model, or try the built-in demo.</source>
        <translation>请选择训练输出及其基础模型，或试用内置演示。</translation>
    </message>
    <message>
        <source>Reading {0}</source>
        <translation>正在读取 {0}</translation>
    </message>
    <message>
        <source>Found {0} in {1}</source>
        <translation>在 {1} 中找到 {0}</translation>
    </message>
    <message>
        <source>Using the base model named by the training: {0}</source>
        <translation>使用训练配置指定的基础模型：{0}</translation>
    </message>
    <message>
        <source>Or download it (Download base model).</source>
        <translation>也可以下载它（“下载基础模型”）。</translation>
    </message>
    <message>
        <source>The training names {0} as its base model, which is not on this machine; choose the base model folder.</source>
        <translation>训练配置指定的基础模型是 {0}，但本机上没有；请选择基础模型文件夹。</translation>
    </message>
    <message>
        <source>The training names {0}, which is not on this machine.</source>
        <translation>训练配置指定的是 {0}，但本机上没有。</translation>
    </message>
    <message>
        <source>This is a LLaVA run: choose the visual encoder folder too.</source>
        <translation>这是一次 LLaVA 训练：还需选择视觉编码器文件夹。</translation>
    </message>
    <message>
        <source>Choose the base model the adapter was trained on.</source>
        <translation>请选择训练该适配器时所用的基础模型。</translation>
    </message>
    <message>
        <source>Planning</source>
        <translation>规划合并</translation>
    </message>
    <message>
        <source>({0} more below)</source>
        <translation>（下方还有 {0} 个）</translation>
    </message>
    <message>
        <source>Nothing can start until this is fixed: {0}</source>
        <translation>解决此问题后才能开始：{0}</translation>
    </message>
    <message>
        <source>Ready: {0} files, {1}, will be written to {2}.</source>
        <translation>就绪：{0} 个文件，{1}，将写入 {2}。</translation>
    </message>
    <message>
        <source>1 warning below.</source>
        <translation>下方有 1 个警告。</translation>
    </message>
    <message>
        <source>{0} warnings below.</source>
        <translation>下方有 {0} 个警告。</translation>
    </message>
    <message>
        <source>Merging into {0}</source>
        <translation>正在合并到 {0}</translation>
    </message>
    <message>
        <source>Checking the written folder</source>
        <translation>正在检查写出的文件夹</translation>
    </message>
    <message>
        <source>Merging</source>
        <translation>合并</translation>
    </message>
    <message>
        <source>Merged into {0} in {1}; </source>
        <translation>已合并到 {0}，用时 {1}；</translation>
    </message>
    <message>
        <source>the check found {0} error(s): see the result.</source>
        <translation>检查发现 {0} 个错误，请查看结果。</translation>
    </message>
    <message>
        <source>the check found {0} warning(s).</source>
        <translation>检查发现 {0} 个警告。</translation>
    </message>
    <message>
        <source>the check found no problems.</source>
        <translation>检查未发现问题。</translation>
    </message>
    <message>
        <source>Ready: a GGUF file ({0}, {1}) will be written to {2}, with its Ollama Modelfile.</source>
        <translation>就绪：GGUF 文件（{0}，{1}）将写入 {2}，并附带 Ollama Modelfile。</translation>
    </message>
    <message>
        <source>Checking the written file</source>
        <translation>正在检查写出的文件</translation>
    </message>
    <message>
        <source>Wrote {0} ({1}) in {2}; </source>
        <translation>已写入 {0}（{1}），用时 {2}；</translation>
    </message>
    <message>
        <source>Run it with Ollama: {0}</source>
        <translation>用 Ollama 运行：{0}</translation>
    </message>
    <message>
        <source>or with llama.cpp: {0}</source>
        <translation>或用 llama.cpp 运行：{0}</translation>
    </message>
    <message>
        <source>a tiny LLM, a tiny CLIP vision tower and an XTuner LLaVA run</source>
        <translation>一个极小的 LLM、一个极小的 CLIP 视觉编码器和一次 XTuner LLaVA 训练</translation>
    </message>
    <message>
        <source>a tiny base model and an XTuner training output</source>
        <translation>一个极小的基础模型和一份 XTuner 训练输出</translation>
    </message>
    <message>
        <source>Building the demo: {0}…</source>
        <translation>正在生成演示：{0}…</translation>
    </message>
    <message>
        <source>Building the demo</source>
        <translation>生成演示</translation>
    </message>
    <message>
        <source>Demo written to {0}</source>
        <translation>演示已写入 {0}</translation>
    </message>
</context>
<context>
    <name>CoreWords</name>
    <message>
        <source>Hugging Face model folder</source>
        <translation>Hugging Face 模型文件夹</translation>
    </message>
    <message>
        <source>PEFT adapter</source>
        <translation>PEFT 适配器</translation>
    </message>
    <message>
        <source>XTuner converted output (pth_to_hf)</source>
        <translation>XTuner 转换输出（pth_to_hf）</translation>
    </message>
    <message>
        <source>XTuner work_dir</source>
        <translation>XTuner work_dir</translation>
    </message>
    <message>
        <source>XTuner checkpoint (.pth)</source>
        <translation>XTuner 检查点（.pth）</translation>
    </message>
    <message>
        <source>XTuner DeepSpeed checkpoint</source>
        <translation>XTuner DeepSpeed 检查点</translation>
    </message>
    <message>
        <source>XTuner training checkpoint</source>
        <translation>XTuner 训练检查点</translation>
    </message>
    <message>
        <source>LLaVA model (XTuner layout: LLM, projector/, visual_encoder/)</source>
        <translation>LLaVA 模型（XTuner 布局：LLM、projector/、visual_encoder/）</translation>
    </message>
    <message>
        <source>LLaVA model (Hugging Face LlavaForConditionalGeneration)</source>
        <translation>LLaVA 模型（Hugging Face LlavaForConditionalGeneration）</translation>
    </message>
    <message>
        <source>folder without a model</source>
        <translation>不含模型的文件夹</translation>
    </message>
    <message>
        <source>LLM adapter</source>
        <translation>LLM 适配器</translation>
    </message>
    <message>
        <source>Visual encoder adapter</source>
        <translation>视觉编码器适配器</translation>
    </message>
    <message>
        <source>Projector</source>
        <translation>投影层</translation>
    </message>
    <message>
        <source>LLM weights (full fine-tune)</source>
        <translation>LLM 权重（全量微调）</translation>
    </message>
    <message>
        <source>Visual encoder weights</source>
        <translation>视觉编码器权重</translation>
    </message>
    <message>
        <source>Training config</source>
        <translation>训练配置</translation>
    </message>
    <message>
        <source>Writing</source>
        <translation>正在写入</translation>
    </message>
    <message>
        <source>Moving the result into place</source>
        <translation>正在将结果移到目标位置</translation>
    </message>
    <message>
        <source>Checking</source>
        <translation>正在检查</translation>
    </message>
    <message>
        <source>Done</source>
        <translation>完成</translation>
    </message>
    <message>
        <source>Reading</source>
        <translation>正在读取</translation>
    </message>
    <message>
        <source>Converting</source>
        <translation>正在转换</translation>
    </message>
    <message>
        <source>Verifying</source>
        <translation>正在校验</translation>
    </message>
    <message>
        <source>Fixing</source>
        <translation>正在修复</translation>
    </message>
    <message>
        <source>Downloading</source>
        <translation>正在下载</translation>
    </message>
    <message>
        <source>OK</source>
        <translation>正常</translation>
    </message>
    <message>
        <source>Error</source>
        <translation>错误</translation>
    </message>
    <message>
        <source>Warning</source>
        <translation>警告</translation>
    </message>
    <message>
        <source>Note</source>
        <translation>注意</translation>
    </message>
</context>
<context>
    <name>Download</name>
    <message>
        <source>{0} ({1}, commit {2}): {3} files, {4}; {5} to download into {6}.</source>
        <translation>{0}（{1}，提交 {2}）：{3} 个文件，共 {4}；需下载 {5} 到 {6}。</translation>
    </message>
    <message>
        <source>{0} of the files are in the cache already.</source>
        <translation>其中 {0} 个文件已在缓存中。</translation>
    </message>
    <message>
        <source>It is gated: accept its conditions on its Hub page and log in (huggingface-cli login or HF_TOKEN) first.</source>
        <translation>该仓库需要授权：请先在它的 Hub 页面上接受使用条件并登录（huggingface-cli login 或 HF_TOKEN）。</translation>
    </message>
    <message>
        <source>Download {0} ({1})</source>
        <translation>下载 {0}（{1}）</translation>
    </message>
    <message>
        <source>Download base model…</source>
        <translation>下载基础模型…</translation>
    </message>
    <message>
        <source>Asking the Hugging Face Hub about {0}…</source>
        <translation>正在向 Hugging Face Hub 查询 {0}…</translation>
    </message>
    <message>
        <source>Asking the Hub</source>
        <translation>查询 Hub</translation>
    </message>
    <message>
        <source>Click the button again to download.</source>
        <translation>再次点击按钮即开始下载。</translation>
    </message>
    <message>
        <source>Downloading {0} into {1}</source>
        <translation>正在下载 {0} 到 {1}</translation>
    </message>
    <message>
        <source>Download of {0} cancelled; the files already complete stay in the cache and the next download fetches only the rest.</source>
        <translation>已取消下载 {0}；已下载完整的文件保留在缓存中，下次下载只获取其余文件。</translation>
    </message>
    <message>
        <source>Download cancelled</source>
        <translation>下载已取消</translation>
    </message>
    <message>
        <source>Downloading</source>
        <translation>下载</translation>
    </message>
    <message>
        <source>Download failed</source>
        <translation>下载失败</translation>
    </message>
    <message>
        <source>Downloaded {0} into {1}; it is now the base model.</source>
        <translation>已将 {0} 下载到 {1}，现在它就是基础模型。</translation>
    </message>
    <message>
        <source>Downloaded {0}</source>
        <translation>已下载 {0}</translation>
    </message>
</context>
<context>
    <name>Formats</name>
    <message>
        <source>{0} B</source>
        <translation>{0} 字节</translation>
    </message>
    <message>
        <source>{0} {1}</source>
        <translation>{0} {1}</translation>
    </message>
    <message>
        <source>{0} s</source>
        <translation>{0} 秒</translation>
    </message>
    <message>
        <source>{0} min {1} s</source>
        <translation>{0} 分 {1} 秒</translation>
    </message>
    <message>
        <source>{0} h {1} min</source>
        <translation>{0} 小时 {1} 分</translation>
    </message>
</context>
<context>
    <name>Hub</name>
    <message>
        <source>folder</source>
        <translation>文件夹</translation>
    </message>
    <message>
        <source>Hugging Face cache</source>
        <translation>Hugging Face 缓存</translation>
    </message>
    <message>
        <source>ModelScope cache</source>
        <translation>ModelScope 缓存</translation>
    </message>
    <message>
        <source>not found</source>
        <translation>未找到</translation>
    </message>
    <message>
        <source>base model</source>
        <translation>基础模型</translation>
    </message>
    <message>
        <source>visual encoder</source>
        <translation>视觉编码器</translation>
    </message>
    <message>
        <source>1 file of {1} missing</source>
        <translation>{1} 个文件中缺少 1 个</translation>
    </message>
    <message>
        <source>{0} files of {1} missing</source>
        <translation>{1} 个文件中缺少 {0} 个</translation>
    </message>
    <message>
        <source>snapshot {0} ({1})</source>
        <translation>快照 {0}（{1}）</translation>
    </message>
    <message>
        <source>snapshot {0}</source>
        <translation>快照 {0}</translation>
    </message>
    <message>
        <source>revision {0}</source>
        <translation>版本 {0}</translation>
    </message>
    <message>
        <source>, </source>
        <translation>，</translation>
    </message>
    <message>
        <source>{0} (not found)</source>
        <translation>{0}（未找到）</translation>
    </message>
    <message>
        <source>{0} ({1}): {2}</source>
        <translation>{0}（{1}）：{2}</translation>
    </message>
    <message>
        <source>the {0} ({1})</source>
        <translation>{0}（{1}）</translation>
    </message>
    <message>
        <source> or </source>
        <translation>或 </translation>
    </message>
    <message>
        <source>Found in the {0}: {1}</source>
        <translation>位于 {0}：{1}</translation>
    </message>
    <message>
        <source>{0} and {1} more</source>
        <translation>{0} 等，另有 {1} 个</translation>
    </message>
    <message>
        <source>Looked in {0}.</source>
        <translation>已查找：{0}。</translation>
    </message>
    <message>
        <source>({0})</source>
        <translation>（{0}）</translation>
    </message>
    <message>
        <source>The {0} {1} was found in the {2} ({3}), but {4} is not downloaded.</source>
        <translation>在 {2}（{3}）中找到了{0} {1}，但 {4} 尚未下载。</translation>
    </message>
    <message>
        <source>The {0} {1} was found in the {2} ({3}), but {4} are not downloaded.</source>
        <translation>在 {2}（{3}）中找到了{0} {1}，但 {4} 尚未下载。</translation>
    </message>
    <message>
        <source>Finish its download, or choose a complete folder ({0}).</source>
        <translation>请完成下载，或选择一个完整的文件夹（{0}）。</translation>
    </message>
    <message>
        <source>The {0} {1} is not a folder on this machine and is not in {2}.</source>
        <translation>{0} {1} 不是本机上的文件夹，也不在以下缓存中：{2}。</translation>
    </message>
    <message>
        <source>Choose its folder ({0}), or download it (Download base model).</source>
        <translation>请选择它的文件夹（{0}），或下载它（“下载基础模型”）。</translation>
    </message>
    <message>
        <source>Choose its folder ({0}).</source>
        <translation>请选择它的文件夹（{0}）。</translation>
    </message>
    <message>
        <source>The {0} {1} is a Hugging Face cache folder of {2}, but it cannot be used: {3}.</source>
        <translation>{0} {1} 是 {2} 的 Hugging Face 缓存文件夹，但无法使用：{3}。</translation>
    </message>
    <message>
        <source>Download it again, or choose a complete model folder ({0}).</source>
        <translation>请重新下载，或选择一个完整的模型文件夹（{0}）。</translation>
    </message>
</context>
<context>
    <name>InspectPage</name>
    <message>
        <source>Folder to inspect</source>
        <translation>要检查的文件夹</translation>
    </message>
    <message>
        <source>Any model folder: a merged model, a download, an adapter, an XTuner output</source>
        <translation>任意模型文件夹：合并后的模型、下载的模型、适配器、XTuner 输出</translation>
    </message>
    <message>
        <source>a model folder</source>
        <translation>模型文件夹</translation>
    </message>
    <message>
        <source>Base model</source>
        <translation>基础模型</translation>
    </message>
    <message>
        <source>Optional: the model this folder was made from; Fix copies missing tokenizer and config files from it</source>
        <translation>可选：生成此文件夹所用的模型；“修复”会从中复制缺失的分词器和配置文件</translation>
    </message>
    <message>
        <source>optional: where Fix may copy missing files from</source>
        <translation>可选：“修复”从哪里复制缺失的文件</translation>
    </message>
    <message>
        <source>&amp;Inspect</source>
        <translation>检查(&amp;I)</translation>
    </message>
    <message>
        <source>Check the folder: config, tokenizer, generation config, shards and index, architecture (reads headers only)</source>
        <translation>检查文件夹：配置、分词器、生成配置、分片与索引、模型结构（只读取文件头）</translation>
    </message>
    <message>
        <source>Fol&amp;der:</source>
        <translation>文件夹(&amp;D)：</translation>
    </message>
    <message>
        <source>Copy missing files f&amp;rom:</source>
        <translation>缺失文件来源(&amp;R)：</translation>
    </message>
    <message>
        <source>&amp;Cancel</source>
        <translation>取消(&amp;C)</translation>
    </message>
    <message>
        <source>Stop the fix; nothing is left behind (Esc)</source>
        <translation>停止修复，不留下任何中间文件（Esc）</translation>
    </message>
</context>
<context>
    <name>LogPanel</name>
    <message>
        <source>Log</source>
        <translation>日志</translation>
    </message>
    <message>
        <source>What Mergesmith did, with the details of any error</source>
        <translation>Mergesmith 做了什么，以及每个错误的详细信息</translation>
    </message>
    <message>
        <source>ERROR </source>
        <translation>错误  </translation>
    </message>
    <message>
        <source>WARN  </source>
        <translation>警告  </translation>
    </message>
    <message>
        <source>Clear the log</source>
        <translation>清空日志</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>Auto</source>
        <translation>自动</translation>
    </message>
    <message>
        <source>Light</source>
        <translation>浅色</translation>
    </message>
    <message>
        <source>Dark</source>
        <translation>深色</translation>
    </message>
    <message>
        <source>&amp;Merge</source>
        <translation>合并(&amp;M)</translation>
    </message>
    <message>
        <source>I&amp;nspect</source>
        <translation>检查(&amp;N)</translation>
    </message>
    <message>
        <source>Merge a training output into its base model</source>
        <translation>将训练输出合并到其基础模型</translation>
    </message>
    <message>
        <source>Check any model folder without merging</source>
        <translation>不合并，只检查任意模型文件夹</translation>
    </message>
    <message>
        <source>Log</source>
        <translation>日志</translation>
    </message>
    <message>
        <source>&amp;File</source>
        <translation>文件(&amp;F)</translation>
    </message>
    <message>
        <source>Open &amp;training output…</source>
        <translation>打开训练输出(&amp;T)…</translation>
    </message>
    <message>
        <source>Choose the work_dir, checkpoint or adapter</source>
        <translation>选择 work_dir、检查点或适配器</translation>
    </message>
    <message>
        <source>Open &amp;base model…</source>
        <translation>打开基础模型(&amp;B)…</translation>
    </message>
    <message>
        <source>Choose the base model folder</source>
        <translation>选择基础模型文件夹</translation>
    </message>
    <message>
        <source>&amp;Inspect a folder…</source>
        <translation>检查文件夹(&amp;I)…</translation>
    </message>
    <message>
        <source>Try the &amp;demo</source>
        <translation>试用演示(&amp;D)</translation>
    </message>
    <message>
        <source>Build a tiny training output and base model here, then preview their merge</source>
        <translation>在本机生成一份极小的训练输出和基础模型，并预览它们的合并</translation>
    </message>
    <message>
        <source>Try the &amp;LLaVA demo</source>
        <translation>试用 &amp;LLaVA 演示</translation>
    </message>
    <message>
        <source>Build a tiny LLaVA run (LLM + CLIP LoRA, projector) with its base models, then preview</source>
        <translation>生成一次极小的 LLaVA 训练（LLM 与 CLIP 的 LoRA、投影层）及其基础模型，然后预览</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>退出(&amp;Q)</translation>
    </message>
    <message>
        <source>Close Mergesmith</source>
        <translation>关闭 Mergesmith</translation>
    </message>
    <message>
        <source>&amp;View</source>
        <translation>视图(&amp;V)</translation>
    </message>
    <message>
        <source>&amp;Log</source>
        <translation>日志(&amp;L)</translation>
    </message>
    <message>
        <source>&amp;Theme</source>
        <translation>主题(&amp;T)</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>帮助(&amp;H)</translation>
    </message>
    <message>
        <source>&amp;About Mergesmith</source>
        <translation>关于 Mergesmith(&amp;A)</translation>
    </message>
    <message>
        <source>Version and licence</source>
        <translation>版本与许可证</translation>
    </message>
    <message>
        <source>&amp;Language</source>
        <translation>语言(&amp;G)</translation>
    </message>
    <message>
        <source>Follow the system</source>
        <translation>跟随系统</translation>
    </message>
    <message>
        <source>Language</source>
        <translation>语言</translation>
    </message>
    <message>
        <source>Mergesmith will be in {0} the next time it starts.</source>
        <translation>Mergesmith 下次启动时将使用 {0}。</translation>
    </message>
    <message>
        <source>Close Mergesmith and start it again to switch now; what the window shows now stays as it is until then.</source>
        <translation>如需立即切换，请关闭并重新启动 Mergesmith；在此之前，窗口当前显示的内容保持不变。</translation>
    </message>
    <message>
        <source>Choose a training output and its base model (Browse, or drop folders on the fields), or try the built-in demo: a tiny XTuner run and base model made on the spot.</source>
        <translation>请选择训练输出及其基础模型（点击“浏览”，或将文件夹拖到输入框上），或试用内置演示：当场生成一次极小的 XTuner 训练和基础模型。</translation>
    </message>
    <message>
        <source>Build a tiny XTuner training output and base model in a temporary folder (no download) and preview their merge</source>
        <translation>在临时文件夹中生成一份极小的 XTuner 训练输出和基础模型（无需下载），并预览它们的合并</translation>
    </message>
    <message>
        <source>About Mergesmith</source>
        <translation>关于 Mergesmith</translation>
    </message>
    <message>
        <source>Turns XTuner and PEFT fine-tuning output into a complete Hugging Face safetensors folder, and checks model folders.</source>
        <translation>将 XTuner 和 PEFT 的微调输出转换为完整的 Hugging Face safetensors 模型文件夹，并检查模型文件夹。</translation>
    </message>
    <message>
        <source>A merge is running</source>
        <translation>正在合并</translation>
    </message>
    <message>
        <source>A merge is running. Cancel it and close Mergesmith?</source>
        <translation>正在进行合并。要取消合并并关闭 Mergesmith 吗？</translation>
    </message>
    <message>
        <source>Nothing is left behind: the partly written output is removed.</source>
        <translation>不会留下任何中间文件：已写入的部分输出会被删除。</translation>
    </message>
    <message>
        <source>Cancel the merge and &amp;close</source>
        <translation>取消合并并关闭(&amp;C)</translation>
    </message>
    <message>
        <source>&amp;Keep merging</source>
        <translation>继续合并(&amp;K)</translation>
    </message>
</context>
<context>
    <name>MergePage</name>
    <message>
        <source>XTuner checkpoints (*.pth);;All files (*)</source>
        <translation>XTuner 检查点 (*.pth);;所有文件 (*)</translation>
    </message>
    <message>
        <source>Training output</source>
        <translation>训练输出</translation>
    </message>
    <message>
        <source>An XTuner work_dir, an iter_N.pth checkpoint or DeepSpeed folder, XTuner&apos;s converted folder, or a PEFT adapter folder</source>
        <translation>XTuner 的 work_dir、iter_N.pth 检查点或 DeepSpeed 文件夹、XTuner 转换后的文件夹，或 PEFT 适配器文件夹</translation>
    </message>
    <message>
        <source>work_dir, iter_N.pth, converted folder or adapter folder</source>
        <translation>work_dir、iter_N.pth、转换后的文件夹或适配器文件夹</translation>
    </message>
    <message>
        <source>Base model</source>
        <translation>基础模型</translation>
    </message>
    <message>
        <source>The full model the adapter was trained on: a folder with config.json, or a Hub id (ORG/NAME) found in the local Hugging Face or ModelScope cache</source>
        <translation>训练适配器时所用的完整模型：含 config.json 的文件夹，或本机 Hugging Face / ModelScope 缓存中的 Hub ID（ORG/NAME）</translation>
    </message>
    <message>
        <source>the model folder the training started from, or its Hub id</source>
        <translation>训练所基于的模型文件夹，或其 Hub ID</translation>
    </message>
    <message>
        <source>Visual encoder</source>
        <translation>视觉编码器</translation>
    </message>
    <message>
        <source>The visual encoder of a LLaVA run (e.g. a CLIP model folder)</source>
        <translation>LLaVA 训练所用的视觉编码器（例如 CLIP 模型文件夹）</translation>
    </message>
    <message>
        <source>the CLIP folder the LLaVA run used</source>
        <translation>LLaVA 训练所用的 CLIP 文件夹</translation>
    </message>
    <message>
        <source>&amp;Training output:</source>
        <translation>训练输出(&amp;T)：</translation>
    </message>
    <message>
        <source>&amp;Base model:</source>
        <translation>基础模型(&amp;B)：</translation>
    </message>
    <message>
        <source>Visual &amp;encoder:</source>
        <translation>视觉编码器(&amp;E)：</translation>
    </message>
    <message>
        <source>The base model is not on this machine: ask the Hugging Face Hub for its size, then download it into the Hugging Face cache</source>
        <translation>本机上没有基础模型：先向 Hugging Face Hub 查询其大小，再下载到 Hugging Face 缓存</translation>
    </message>
    <message>
        <source>Preview</source>
        <translation>预览</translation>
    </message>
    <message>
        <source>What was found, and what the merge will write</source>
        <translation>找到了什么，以及合并将写出什么</translation>
    </message>
    <message>
        <source>&amp;Preview</source>
        <translation>预览(&amp;P)</translation>
    </message>
    <message>
        <source>Res&amp;ult</source>
        <translation>结果(&amp;U)</translation>
    </message>
    <message>
        <source>What was detected and what the merge will write</source>
        <translation>识别出的内容，以及合并将写出什么</translation>
    </message>
    <message>
        <source>The merged folder, checked</source>
        <translation>合并后的文件夹及其检查结果</translation>
    </message>
    <message>
        <source>&amp;Start merge</source>
        <translation>开始合并(&amp;S)</translation>
    </message>
    <message>
        <source>Merge into the output folder (Ctrl+Enter)</source>
        <translation>合并到输出文件夹（Ctrl+Enter）</translation>
    </message>
    <message>
        <source>&amp;Cancel</source>
        <translation>取消(&amp;C)</translation>
    </message>
    <message>
        <source>Stop the merge; nothing is left behind (Esc)</source>
        <translation>停止合并，不留下任何中间文件（Esc）</translation>
    </message>
    <message>
        <source>Verified.</source>
        <translation>已校验。</translation>
    </message>
    <message>
        <source>Cancelled; nothing was written.</source>
        <translation>已取消，未写入任何内容。</translation>
    </message>
    <message>
        <source>Failed; nothing was written.</source>
        <translation>失败，未写入任何内容。</translation>
    </message>
    <message>
        <source>Done: {0}</source>
        <translation>完成：{0}</translation>
    </message>
</context>
<context>
    <name>OptionsPanel</name>
    <message>
        <source>Same as the base</source>
        <translation>与基础模型相同</translation>
    </message>
    <message>
        <source>XTuner layout</source>
        <translation>XTuner 布局</translation>
    </message>
    <message>
        <source>llava-hf (one LlavaForConditionalGeneration folder)</source>
        <translation>llava-hf（单个 LlavaForConditionalGeneration 文件夹）</translation>
    </message>
    <message>
        <source>A model folder (safetensors)</source>
        <translation>模型文件夹（safetensors）</translation>
    </message>
    <message>
        <source>A GGUF file for llama.cpp, Ollama, LM Studio</source>
        <translation>GGUF 文件（用于 llama.cpp、Ollama、LM Studio）</translation>
    </message>
    <message>
        <source>q8_0 (about half the size)</source>
        <translation>q8_0（约为一半大小）</translation>
    </message>
    <message>
        <source>GGUF files (*.gguf)</source>
        <translation>GGUF 文件 (*.gguf)</translation>
    </message>
    <message>
        <source>Options</source>
        <translation>选项</translation>
    </message>
    <message>
        <source>A model folder for transformers and vLLM, or one GGUF file (with an Ollama Modelfile beside it) to run the model on a laptop</source>
        <translation>模型文件夹供 transformers 和 vLLM 使用；GGUF 文件（旁边附带 Ollama Modelfile）用于在笔记本电脑上运行模型</translation>
    </message>
    <message>
        <source>Tensor type of the GGUF file&apos;s matrices: f16 or bf16 keep the merged weights, q8_0 is about half the size; norms stay f32</source>
        <translation>GGUF 文件中矩阵的张量类型：f16 或 bf16 保留合并后的权重，q8_0 约为一半大小；归一化权重保持 f32</translation>
    </message>
    <message>
        <source>Output folder</source>
        <translation>输出文件夹</translation>
    </message>
    <message>
        <source>Where the merged model is written (a new folder)</source>
        <translation>合并后的模型写到哪里（一个新文件夹）</translation>
    </message>
    <message>
        <source>a new folder beside the training output</source>
        <translation>训练输出旁边的新文件夹</translation>
    </message>
    <message>
        <source>Data type of the merged weights. “Same as the base” keeps the base model&apos;s own (recommended: a bf16 base stays bf16).</source>
        <translation>合并后权重的数据类型。“与基础模型相同”沿用基础模型自身的类型（推荐：bf16 的基础模型仍为 bf16）。</translation>
    </message>
    <message>
        <source>Largest shard file, written like transformers does: 5GB, 500MB (powers of 1000) or 2GiB (powers of 1024)</source>
        <translation>单个分片文件的最大大小，写法与 transformers 相同：5GB、500MB（以 1000 为进制）或 2GiB（以 1024 为进制）</translation>
    </message>
    <message>
        <source>Output layout for LLaVA runs</source>
        <translation>LLaVA 训练的输出布局</translation>
    </message>
    <message>
        <source>Which checkpoint of the work_dir to merge (the latest by default)</source>
        <translation>合并 work_dir 中的哪个检查点（默认为最新的）</translation>
    </message>
    <message>
        <source>Rep&amp;lace the output folder if it exists</source>
        <translation>输出文件夹已存在时替换(&amp;L)</translation>
    </message>
    <message>
        <source>The old folder is replaced only once the new one is complete</source>
        <translation>新文件夹完整写好之后才替换旧文件夹</translation>
    </message>
    <message>
        <source>GGUF &amp;type:</source>
        <translation>GGUF 类型(&amp;T)：</translation>
    </message>
    <message>
        <source>&amp;Write:</source>
        <translation>输出为(&amp;W)：</translation>
    </message>
    <message>
        <source>&amp;Output folder:</source>
        <translation>输出文件夹(&amp;O)：</translation>
    </message>
    <message>
        <source>&amp;Dtype:</source>
        <translation>数据类型(&amp;D)：</translation>
    </message>
    <message>
        <source>Max shard si&amp;ze:</source>
        <translation>最大分片大小(&amp;Z)：</translation>
    </message>
    <message>
        <source>Fo&amp;rmat:</source>
        <translation>格式(&amp;R)：</translation>
    </message>
    <message>
        <source>&amp;Iteration:</source>
        <translation>迭代(&amp;I)：</translation>
    </message>
    <message>
        <source>&amp;Output file:</source>
        <translation>输出文件(&amp;O)：</translation>
    </message>
    <message>
        <source>Output file</source>
        <translation>输出文件</translation>
    </message>
    <message>
        <source>a new .gguf file beside the training output</source>
        <translation>训练输出旁的一个新 .gguf 文件</translation>
    </message>
    <message>
        <source>Rep&amp;lace the output file if it exists</source>
        <translation>输出文件已存在时替换(&amp;L)</translation>
    </message>
    <message>
        <source>iter {0}</source>
        <translation>第 {0} 次迭代</translation>
    </message>
</context>
<context>
    <name>PathPicker</name>
    <message>
        <source>Drop a folder here, or type a path and press Enter.</source>
        <translation>将文件夹拖到这里，或输入路径后按回车。</translation>
    </message>
    <message>
        <source>Browse…</source>
        <translation>浏览…</translation>
    </message>
    <message>
        <source>Choose the {0} in a dialog</source>
        <translation>在对话框中选择{0}</translation>
    </message>
    <message>
        <source>Browse for the {0}</source>
        <translation>浏览选择{0}</translation>
    </message>
    <message>
        <source>Choose a folder…</source>
        <translation>选择文件夹…</translation>
    </message>
    <message>
        <source>Choose a checkpoint file…</source>
        <translation>选择检查点文件…</translation>
    </message>
    <message>
        <source>Choose the {0}</source>
        <translation>选择{0}</translation>
    </message>
</context>
<context>
    <name>Preview</name>
    <message>
        <source> and {0} more</source>
        <translation> 等另外 {0} 个</translation>
    </message>
    <message>
        <source>, </source>
        <translation>、</translation>
    </message>
    <message>
        <source>{0} modules</source>
        <translation>{0} 个模块</translation>
    </message>
    <message>
        <source>{0} tensors</source>
        <translation>{0} 个张量</translation>
    </message>
    <message>
        <source>stored in {0}</source>
        <translation>保存在 {0} 中</translation>
    </message>
    <message>
        <source>yes</source>
        <translation>是</translation>
    </message>
    <message>
        <source>no</source>
        <translation>否</translation>
    </message>
    <message>
        <source>Targets</source>
        <translation>目标模块</translation>
    </message>
    <message>
        <source>Rank and alpha</source>
        <translation>秩与 alpha</translation>
    </message>
    <message>
        <source>, scale alpha/sqrt(r) (rsLoRA)</source>
        <translation>，缩放系数 alpha/sqrt(r)（rsLoRA）</translation>
    </message>
    <message>
        <source>, scale alpha/r</source>
        <translation>，缩放系数 alpha/r</translation>
    </message>
    <message>
        <source>Replaced tensors</source>
        <translation>替换的张量</translation>
    </message>
    <message>
        <source>Trained token rows</source>
        <translation>训练过的词元行</translation>
    </message>
    <message>
        <source>{0}: {1} rows</source>
        <translation>{0}：{1} 行</translation>
    </message>
    <message>
        <source>Tensors</source>
        <translation>张量</translation>
    </message>
    <message>
        <source>{0} tensors, {1}</source>
        <translation>{0} 个张量，{1}</translation>
    </message>
    <message>
        <source>no dtype</source>
        <translation>无数据类型</translation>
    </message>
    <message>
        <source>Path</source>
        <translation>路径</translation>
    </message>
    <message>
        <source>Training output</source>
        <translation>训练输出</translation>
    </message>
    <message>
        <source>Iteration</source>
        <translation>迭代</translation>
    </message>
    <message>
        <source>{0} (of {1})</source>
        <translation>{0}（共 {1}）</translation>
    </message>
    <message>
        <source>Base named by the training</source>
        <translation>训练指定的基础模型</translation>
    </message>
    <message>
        <source>Visual encoder named by the training</source>
        <translation>训练指定的视觉编码器</translation>
    </message>
    <message>
        <source>Note</source>
        <translation>注意</translation>
    </message>
    <message>
        <source>Model type</source>
        <translation>模型类型</translation>
    </message>
    <message>
        <source>Base</source>
        <translation>基础模型</translation>
    </message>
    <message>
        <source>LLM dtype</source>
        <translation>LLM 数据类型</translation>
    </message>
    <message>
        <source>Quantization</source>
        <translation>量化</translation>
    </message>
    <message>
        <source>Tokenizer</source>
        <translation>分词器</translation>
    </message>
    <message>
        <source>Visual encoder</source>
        <translation>视觉编码器</translation>
    </message>
    <message>
        <source>Image processor</source>
        <translation>图像处理器</translation>
    </message>
    <message>
        <source>LoRA</source>
        <translation>LoRA</translation>
    </message>
    <message>
        <source>Visual encoder LoRA</source>
        <translation>视觉编码器 LoRA</translation>
    </message>
    <message>
        <source>Projector depth</source>
        <translation>投影层深度</translation>
    </message>
    <message>
        <source>Freeze LLM</source>
        <translation>冻结 LLM</translation>
    </message>
    <message>
        <source>Freeze visual encoder</source>
        <translation>冻结视觉编码器</translation>
    </message>
    <message>
        <source>LoRA dropout</source>
        <translation>LoRA dropout</translation>
    </message>
    <message>
        <source>Bias</source>
        <translation>偏置</translation>
    </message>
    <message>
        <source>Task type</source>
        <translation>任务类型</translation>
    </message>
    <message>
        <source>from the base</source>
        <translation>来自基础模型</translation>
    </message>
    <message>
        <source>from the training output</source>
        <translation>来自训练输出</translation>
    </message>
    <message>
        <source>generated</source>
        <translation>生成</translation>
    </message>
    <message>
        <source>weights</source>
        <translation>权重</translation>
    </message>
    <message>
        <source>Not on this machine: choose the base model folder.</source>
        <translation>本机上没有：请选择基础模型文件夹。</translation>
    </message>
    <message>
        <source>{0} (not on this machine; the base model you chose is used)</source>
        <translation>{0}（本机上没有；使用你选择的基础模型）</translation>
    </message>
    <message>
        <source>Not on this machine; the base model you chose is used instead.</source>
        <translation>本机上没有；改用你选择的基础模型。</translation>
    </message>
    <message>
        <source>{0} (another base model was chosen: {1})</source>
        <translation>{0}（已选择另一个基础模型：{1}）</translation>
    </message>
    <message>
        <source>Found on this machine, but the merge uses the base model you chose: {0}</source>
        <translation>本机上有，但合并使用你选择的基础模型：{0}</translation>
    </message>
    <message>
        <source>Not on this machine: choose the visual encoder&apos;s folder if the merge needs it.</source>
        <translation>本机上没有：如合并需要，请选择视觉编码器文件夹。</translation>
    </message>
    <message>
        <source>{0} (not on this machine; the visual encoder you chose is used)</source>
        <translation>{0}（本机上没有；使用你选择的视觉编码器）</translation>
    </message>
    <message>
        <source>Not on this machine; the visual encoder you chose is used instead.</source>
        <translation>本机上没有；改用你选择的视觉编码器。</translation>
    </message>
    <message>
        <source>{0} (another visual encoder was chosen: {1})</source>
        <translation>{0}（已选择另一个视觉编码器：{1}）</translation>
    </message>
    <message>
        <source>Found on this machine, but the merge uses the visual encoder you chose: {0}</source>
        <translation>本机上有，但合并使用你选择的视觉编码器：{0}</translation>
    </message>
    <message>
        <source>Using {0} (the latest of {1} checkpoints; choose another iteration to use that one instead).</source>
        <translation>使用 {0}（共 {1} 个检查点中最新的一个；如需使用其他检查点，请选择另一个迭代）。</translation>
    </message>
    <message>
        <source>Using {0} (one of {1} checkpoints; choose another iteration to use that one instead).</source>
        <translation>使用 {0}（共 {1} 个检查点之一；如需使用其他检查点，请选择另一个迭代）。</translation>
    </message>
    <message>
        <source>Using {0}.</source>
        <translation>使用 {0}。</translation>
    </message>
    <message>
        <source>{0} ({1})</source>
        <translation>{0}（{1}）</translation>
    </message>
    <message>
        <source>Found on this machine; this is the folder used.</source>
        <translation>本机上有；合并使用的就是这个文件夹。</translation>
    </message>
    <message>
        <source>unknown architecture</source>
        <translation>未知模型结构</translation>
    </message>
    <message>
        <source>Base model</source>
        <translation>基础模型</translation>
    </message>
    <message>
        <source>{0}, {1} tensors, {2}</source>
        <translation>{0}，{1} 个张量，{2}</translation>
    </message>
    <message>
        <source>; missing: {0}</source>
        <translation>；缺少：{0}</translation>
    </message>
    <message>
        <source>Found in</source>
        <translation>所在位置</translation>
    </message>
    <message>
        <source>{0}: {1}</source>
        <translation>{0}：{1}</translation>
    </message>
    <message>
        <source>Output</source>
        <translation>输出</translation>
    </message>
    <message>
        <source>{0} files, {1}</source>
        <translation>{0} 个文件，{1}</translation>
    </message>
    <message>
        <source>dtype as the base</source>
        <translation>数据类型与基础模型相同</translation>
    </message>
    <message>
        <source>Folder</source>
        <translation>文件夹</translation>
    </message>
    <message>
        <source>Output dtype</source>
        <translation>输出数据类型</translation>
    </message>
    <message>
        <source>{0} tensors, {1} changed by the adapter</source>
        <translation>{0} 个张量，其中 {1} 个由适配器改变</translation>
    </message>
    <message>
        <source>, {0} replaced</source>
        <translation>，{0} 个被替换</translation>
    </message>
    <message>
        <source>Disk space</source>
        <translation>磁盘空间</translation>
    </message>
    <message>
        <source>needs {0}, {1}</source>
        <translation>需要 {0}，{1}</translation>
    </message>
    <message>
        <source>free space unknown</source>
        <translation>可用空间未知</translation>
    </message>
    <message>
        <source>{0} free</source>
        <translation>可用 {0}</translation>
    </message>
    <message>
        <source>Config change</source>
        <translation>配置改动</translation>
    </message>
    <message>
        <source>folder</source>
        <translation>文件夹</translation>
    </message>
    <message>
        <source>, {0} merged</source>
        <translation>，其中 {0} 个已合并</translation>
    </message>
    <message>
        <source>GGUF file</source>
        <translation>GGUF 文件</translation>
    </message>
    <message>
        <source>File</source>
        <translation>文件</translation>
    </message>
    <message>
        <source>GGUF file, {0}</source>
        <translation>GGUF 文件，{0}</translation>
    </message>
    <message>
        <source>GGUF type</source>
        <translation>GGUF 类型</translation>
    </message>
    <message>
        <source>Matrices in {0}; norms and other vectors stay f32</source>
        <translation>矩阵为 {0}；归一化权重和其他向量保持 f32</translation>
    </message>
    <message>
        <source>Architecture</source>
        <translation>架构</translation>
    </message>
    <message>
        <source>{0} ({1}), {2} tokens</source>
        <translation>{0}（{1}），{2} 个词元</translation>
    </message>
    <message>
        <source>Ollama Modelfile (ollama create NAME -f {0})</source>
        <translation>Ollama Modelfile（ollama create NAME -f {0}）</translation>
    </message>
</context>
<context>
    <name>ProblemList</name>
    <message>
        <source>needs a model to copy the files from: choose it under “Copy missing files from”, then Fix</source>
        <translation>需要一个可从中复制文件的模型：在“缺失文件来源”中选择它，然后点击“修复”</translation>
    </message>
    <message>
        <source>Problems</source>
        <translation>问题</translation>
    </message>
    <message>
        <source>Fix: {0}</source>
        <translation>修复：{0}</translation>
    </message>
    <message>
        <source>No automatic fix: {0}</source>
        <translation>无法自动修复：{0}</translation>
    </message>
</context>
<context>
    <name>ProgressPanel</name>
    <message>
        <source>Overall progress</source>
        <translation>总进度</translation>
    </message>
    <message>
        <source>The whole merge, by bytes written</source>
        <translation>整个合并的进度（按已写入字节计）</translation>
    </message>
    <message>
        <source>Current file progress</source>
        <translation>当前文件进度</translation>
    </message>
    <message>
        <source>The file being written, or the current phase</source>
        <translation>正在写入的文件，或当前阶段</translation>
    </message>
    <message>
        <source>Starting…</source>
        <translation>正在开始…</translation>
    </message>
    <message>
        <source>Idle</source>
        <translation>空闲</translation>
    </message>
    <message>
        <source>{0} of {1}</source>
        <translation>{0} / {1}</translation>
    </message>
    <message>
        <source>{0}/s</source>
        <translation>{0}/秒</translation>
    </message>
    <message>
        <source>about {0} left</source>
        <translation>约剩 {0}</translation>
    </message>
</context>
<context>
    <name>ResultView</name>
    <message>
        <source>Nothing checked yet.</source>
        <translation>尚未检查任何内容。</translation>
    </message>
    <message>
        <source>Files of the checked folder</source>
        <translation>所检查文件夹中的文件</translation>
    </message>
    <message>
        <source>Every file of the folder, with what the check found about it</source>
        <translation>文件夹中的每个文件，以及检查对它的结论</translation>
    </message>
    <message>
        <source>Fi&amp;x</source>
        <translation>修复(&amp;X)</translation>
    </message>
    <message>
        <source>Repair what can be repaired (missing tokenizer or generation config, index, pickle weights), into a new folder</source>
        <translation>修复能修复的问题（缺失的分词器或生成配置、索引、pickle 权重），写入一个新文件夹</translation>
    </message>
    <message>
        <source>Verif&amp;y</source>
        <translation>校验(&amp;Y)</translation>
    </message>
    <message>
        <source>Recompute every merged tensor from the training output and the base, and compare it with what was written</source>
        <translation>从训练输出和基础模型重新计算每个合并后的张量，并与写出的结果比较</translation>
    </message>
    <message>
        <source>Open in file mana&amp;ger</source>
        <translation>在文件管理器中打开(&amp;G)</translation>
    </message>
    <message>
        <source>Show the folder in the file manager</source>
        <translation>在文件管理器中显示该文件夹</translation>
    </message>
    <message>
        <source>{0}{1}: {2}</source>
        <translation>{0}{1}：{2}</translation>
    </message>
    <message>
        <source>Write a repaired copy beside this folder (this one is not changed):</source>
        <translation>在此文件夹旁边写出一份修复后的副本（此文件夹不会被改动）：</translation>
    </message>
</context>
<context>
    <name>Results</name>
    <message>
        <source>(+{0} more)</source>
        <translation>（另有 {0} 个）</translation>
    </message>
    <message>
        <source>OK</source>
        <translation>正常</translation>
    </message>
    <message>
        <source>more files not listed</source>
        <translation>更多文件未列出</translation>
    </message>
    <message>
        <source>missing: {0}</source>
        <translation>缺失：{0}</translation>
    </message>
    <message>
        <source>(the folder as a whole)</source>
        <translation>（整个文件夹）</translation>
    </message>
    <message>
        <source>{0} parameters</source>
        <translation>{0} 个参数</translation>
    </message>
    <message>
        <source>1 shard</source>
        <translation>1 个分片</translation>
    </message>
    <message>
        <source>{0} shards</source>
        <translation>{0} 个分片</translation>
    </message>
    <message>
        <source>found {0}</source>
        <translation>发现 {0}</translation>
    </message>
    <message>
        <source>, </source>
        <translation>，</translation>
    </message>
    <message>
        <source>no problems found</source>
        <translation>未发现问题</translation>
    </message>
    <message>
        <source>; </source>
        <translation>；</translation>
    </message>
    <message>
        <source>.</source>
        <translation>。</translation>
    </message>
    <message>
        <source>1 error</source>
        <translation>1 个错误</translation>
    </message>
    <message>
        <source>1 warning</source>
        <translation>1 个警告</translation>
    </message>
    <message>
        <source>1 info</source>
        <translation>1 条提示</translation>
    </message>
    <message>
        <source>{0} errors</source>
        <translation>{0} 个错误</translation>
    </message>
    <message>
        <source>{0} warnings</source>
        <translation>{0} 个警告</translation>
    </message>
    <message>
        <source>{0} infos</source>
        <translation>{0} 条提示</translation>
    </message>
</context>
<context>
    <name>TreeModel</name>
    <message>
        <source>File</source>
        <translation>文件</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Size</source>
        <translation>大小</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>名称</translation>
    </message>
    <message>
        <source>Details</source>
        <translation>详情</translation>
    </message>
    <message>
        <source>{0} bytes</source>
        <translation>{0} 字节</translation>
    </message>
</context>
</TS>
